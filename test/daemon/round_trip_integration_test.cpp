// End to end, every kind besides telemetry, for one legacy device: reported properties up, a
// twin GET answered back down, desired properties down (retained), a direct method answered by
// the device, and a cloud-to-device message.
#include <doctest/doctest.h>

#include <functional>
#include <future>
#include <thread>

#include "bridge_env.hpp"
#include "legacy_client.hpp"

namespace hubgate::test {

namespace {

// Polls the twin until `check` holds (bounded).
bool wait_for_twin(HubsimFixture& hub, const std::string& id,
                   const std::function<bool(const json&)>& check) {
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (std::chrono::steady_clock::now() < deadline) {
        const auto twin = hub.get_twin(id);
        if (twin.ok() && check(twin.body)) {
            return true;
        }
        std::this_thread::sleep_for(200ms);  // polling interval of a bounded wait, not a delay
    }
    return false;
}

}  // namespace

TEST_CASE("every uplink and downlink kind makes the round trip") {
    const std::string id = "plant1-s1";
    BridgeEnv env(with_devices({id}));
    env.start_hubgate();
    LegacyClient device(env.local_port(), "legacy-s1");
    REQUIRE(device.wait_connected());
    device.subscribe("t/plant1/s1/#");
    // The first message makes the device known to hubgate, which opens its session.
    REQUIRE(device.publish("t/plant1/s1/telemetry", R"({"seq":1})"));
    REQUIRE(env.hub().wait_for_telemetry(id, 1, 30s).size() == 1);
    REQUIRE(env.hub().wait_for_connected(id));

    SUBCASE("reported properties") {
        REQUIRE(device.publish("t/plant1/s1/state", R"({"firmware":"2.0.1","ok":true})"));
        CHECK(wait_for_twin(env.hub(), id, [](const json& twin) {
            return twin["properties"]["reported"].value("firmware", "") == "2.0.1";
        }));
    }

    SUBCASE("desired properties reach the device and stay retained") {
        REQUIRE(env.hub().patch_twin(id, {{"properties", {{"desired", {{"rate", 7}}}}}}).ok());
        auto config = device.wait_for([](const LegacyMessage& m) {
            return m.topic == "t/plant1/s1/config" &&
                   json::parse(m.payload, nullptr, false).value("rate", 0) == 7;
        });
        REQUIRE(config);
        // A device that subscribes later (after a restart of its own) gets the current state.
        LegacyClient late(env.local_port(), "legacy-s1-late");
        REQUIRE(late.wait_connected());
        late.subscribe("t/plant1/s1/config");
        auto retained = late.wait_for(topic_is("t/plant1/s1/config"));
        REQUIRE(retained);
        CHECK(retained->retain);
        CHECK(json::parse(retained->payload, nullptr, false).value("rate", 0) == 7);
    }

    SUBCASE("a direct method is answered by the legacy device") {
        auto call = std::async(std::launch::async, [&] {
            return env.hub().invoke_method(id, "reboot", {{"delay", 3}}, 15);
        });
        auto request = device.wait_for(topic_starts_with("t/plant1/s1/rpc/reboot/"));
        REQUIRE(request);
        CHECK(json::parse(request->payload, nullptr, false)["delay"] == 3);
        REQUIRE(device.publish(request->topic + "/reply/200", R"({"rebooting":true})"));
        const auto answer = call.get();
        REQUIRE(answer.status == 200);
        CHECK(answer.body["status"] == 200);
        CHECK(answer.body["payload"]["rebooting"] == true);
    }

    SUBCASE("a method the device does not answer times out at the hub") {
        auto call = std::async(std::launch::async,
                               [&] { return env.hub().invoke_method(id, "slow", nullptr, 5); });
        REQUIRE(device.wait_for(topic_starts_with("t/plant1/s1/rpc/slow/")));
        const auto answer = call.get();
        CHECK(answer.status == 504);
    }

    SUBCASE("cloud-to-device message") {
        HubsimC2d c2d;
        c2d.payload = "hello legacy";
        REQUIRE(env.hub().send_c2d(id, c2d).ok());
        auto message = device.wait_for(topic_is("t/plant1/s1/inbox"));
        REQUIRE(message);
        CHECK(message->payload == "hello legacy");
    }

    SUBCASE("a twin GET from the device is answered on its reply topic") {
        REQUIRE(env.hub().patch_twin(id, {{"properties", {{"desired", {{"mode", "eco"}}}}}}).ok());
        REQUIRE(device.publish("t/plant1/s1/twin/get/42", ""));
        auto answer = device.wait_for(topic_is("t/plant1/s1/twin/res/200/42"));
        REQUIRE(answer);
        const auto twin = json::parse(answer->payload, nullptr, false);
        CHECK(twin["desired"].value("mode", "") == "eco");
    }

    CHECK(env.stop_hubgate() == 0);
}

}  // namespace hubgate::test

namespace hubgate::test {

namespace {

// Sensor `sensor` of plant1 publishes once; hubgate goes down (`take_down`) and comes back; a C2D
// message must then reach the device, whose topic captures come from the state directory (its
// session opens at start-up).
void check_downlink_after_restart(const std::string& sensor,
                                  const std::function<void(BridgeEnv&)>& take_down) {
    const std::string id = "plant1-" + sensor;
    const std::string topic = "t/plant1/" + sensor;
    BridgeEnv env(with_devices({id}));
    env.start_hubgate();
    LegacyClient device(env.local_port(), "legacy-" + sensor);
    REQUIRE(device.wait_connected());
    device.subscribe(topic + "/inbox");
    REQUIRE(device.publish(topic + "/telemetry", R"({"seq":1})"));
    REQUIRE(env.hub().wait_for_telemetry(id, 1, 30s).size() == 1);
    take_down(env);
    REQUIRE(env.hub().wait_for_connected(id, false));

    env.start_hubgate();
    REQUIRE(env.hub().wait_for_connected(id));
    HubsimC2d c2d;
    c2d.payload = "after restart";
    REQUIRE(env.hub().send_c2d(id, c2d).ok());
    auto message =
        device.wait_for([&](const LegacyMessage& m) { return m.topic == topic + "/inbox"; });
    REQUIRE(message);
    CHECK(message->payload == "after restart");
    CHECK(env.stop_hubgate() == 0);
}

}  // namespace

TEST_CASE("after a restart, downlinks reach a device that has not published since") {
    check_downlink_after_restart("s2", [](BridgeEnv& env) { REQUIRE(env.stop_hubgate() == 0); });
}

// The device file is written with the batch that carried the device's first message, before
// the local broker is acknowledged: a crash right after loses no device.
TEST_CASE("after a crash (SIGKILL), downlinks reach a device first seen just before it") {
    check_downlink_after_restart("s4", [](BridgeEnv& env) { env.kill_hubgate(); });
}

}  // namespace hubgate::test

namespace hubgate::test {

TEST_CASE("a C2D message's application properties reach the device in its topic") {
    const std::string id = "plant1-s3";
    auto options = with_devices({id});
    const std::string plain = "c2d = \"t/{site}/{sensor}/inbox\"";
    options.mapping.replace(options.mapping.find(plain), plain.size(),
                            "c2d = \"t/{site}/{sensor}/inbox/{properties}\"");
    BridgeEnv env(options);
    env.start_hubgate();
    LegacyClient device(env.local_port(), "legacy-s3");
    REQUIRE(device.wait_connected());
    device.subscribe("t/plant1/s3/inbox/#");
    REQUIRE(device.publish("t/plant1/s3/telemetry", R"({"seq":1})"));
    REQUIRE(env.hub().wait_for_connected(id));

    HubsimC2d c2d;
    c2d.payload = "set";
    c2d.properties = {{"mode", "eco/night"}};
    REQUIRE(env.hub().send_c2d(id, c2d).ok());
    auto message = device.wait_for(
        [](const LegacyMessage& m) { return m.topic.rfind("t/plant1/s3/inbox/", 0) == 0; });
    REQUIRE(message);
    CHECK(message->payload == "set");
    // Encoded as IoT Hub encodes a property bag: the '/' cannot add a topic level.
    CHECK(message->topic.find("mode=eco%2Fnight") != std::string::npos);
}

}  // namespace hubgate::test
