// End to end, bad input: each malformed message is refused with a counted, logged reason, and
// the good messages published around it still arrive; a method name from the cloud that would
// reshape a local topic is answered 400.
#include <doctest/doctest.h>

#include <future>

#include "bridge_env.hpp"
#include "hub_telemetry.hpp"
#include "legacy_client.hpp"

namespace hubgate::test {

TEST_CASE("malformed input is refused with a reason and does not disturb other devices") {
    const std::vector<std::string> ids{"plant1-good"};
    BridgeEnv env(with_devices(ids));
    env.start_hubgate();
    LegacyClient client(env.local_port(), "legacy-mixed");
    REQUIRE(client.wait_connected());

    auto good = [&](int seq) {
        REQUIRE(
            client.publish("t/plant1/good/telemetry", R"({"seq":)" + std::to_string(seq) + "}"));
    };
    good(1);
    // A reported-properties patch must be a JSON object.
    REQUIRE(client.publish("t/plant1/bad/state", "temperature=21"));
    good(2);
    // Matches the subscription t/+/+/debug/# but no rule ({rest...} needs at least one level).
    REQUIRE(client.publish("t/plant1/bad/debug", "x"));
    good(3);
    // '^' is not allowed in an IoT Hub device id.
    REQUIRE(client.publish("t/plant^1/bad/telemetry", R"({"seq":1})"));
    good(4);
    // Above the hub's 256 KB message limit.
    REQUIRE(client.publish("t/plant1/big/telemetry", std::string(300 * 1024, 'x')));
    good(5);
    REQUIRE(client.wait_acknowledged(9));

    const auto received = collect_telemetry(env.hub(), 5, 30s);
    CHECK(missing(received, ids, 5).empty());
    CHECK(received.messages.size() == 5);  // nothing from the refused ones

    CHECK(env.wait_for_log("payload_not_json_object"));
    CHECK(env.wait_for_log("no_rule"));
    CHECK(env.wait_for_log("invalid_device_id"));
    CHECK(env.wait_for_log("payload_too_large"));
    REQUIRE(env.stop_hubgate() == 0);
    // The final counters name each reason once.
    const auto output = env.hubgate_output();
    const auto summary = output.substr(output.rfind("bridge stopped"));
    CHECK(summary.find("payload_not_json_object=1") != std::string::npos);
    CHECK(summary.find("no_rule=1") != std::string::npos);
    CHECK(summary.find("invalid_device_id=1") != std::string::npos);
    CHECK(summary.find("payload_too_large=1") != std::string::npos);
    CHECK(summary.find("rejected=4") != std::string::npos);
}

}  // namespace hubgate::test

namespace hubgate::test {

TEST_CASE("a method whose name would add a local topic level is answered 400, never published") {
    const std::string id = "plant1-s1";
    BridgeEnv env(with_devices({id}));
    env.start_hubgate();
    LegacyClient device(env.local_port(), "legacy-s1");
    REQUIRE(device.wait_connected());
    device.subscribe("t/plant1/s1/#");
    REQUIRE(device.publish("t/plant1/s1/telemetry", R"({"seq":1})"));
    REQUIRE(env.hub().wait_for_telemetry(id, 1, 30s).size() == 1);
    REQUIRE(env.hub().wait_for_connected(id));

    const auto answer = env.hub().invoke_method(id, "a/b", {{"x", 1}}, 15);
    REQUIRE(answer.status == 200);
    CHECK(answer.body["status"] == 400);
    const std::string reason = answer.body["payload"].value("error", "");
    CHECK(reason.find("invalid_local_topic") != std::string::npos);
    CHECK(reason.find("{method}") != std::string::npos);

    // A well-formed method still reaches the device, and the bad one never did.
    auto call = std::async(std::launch::async,
                           [&] { return env.hub().invoke_method(id, "reboot", nullptr, 15); });
    auto request = device.wait_for(
        [](const LegacyMessage& m) { return m.topic.rfind("t/plant1/s1/rpc/", 0) == 0; });
    REQUIRE(request);
    CHECK(request->topic.rfind("t/plant1/s1/rpc/reboot/", 0) == 0);
    REQUIRE(device.publish(request->topic + "/reply/200", "{}"));
    CHECK(call.get().body["status"] == 200);

    REQUIRE(env.stop_hubgate() == 0);
    const auto output = env.hubgate_output();
    const auto summary = output.substr(output.rfind("bridge stopped"));
    CHECK(summary.find("invalid_local_topic=1") != std::string::npos);
    CHECK(summary.find("downlink_failed=1") != std::string::npos);
}

}  // namespace hubgate::test
