// Every [auth] mode of `hubgate run` end to end against `hubsim run`: a legacy device's message
// goes up and a direct method and a C2D message come down, over a session authenticated with
// per-device keys or with per-device X.509 files (a certificate a registered CA issued, and a
// self-signed one known by its thumbprint). The policy mode is what every other daemon test
// uses (round_trip_integration_test.cpp); DPS symmetric key: provisioning_integration_test.cpp.
#include <doctest/doctest.h>

#include <future>

#include "bridge_env.hpp"
#include "legacy_client.hpp"

namespace hubgate::test {

namespace {

// Device "plant1-{sensor}": one message up, then a method answered by the device and a C2D
// message, both down.
void check_round_trip(BridgeEnv& env, const std::string& sensor) {
    const std::string id = "plant1-" + sensor;
    const std::string topic = "t/plant1/" + sensor;
    CAPTURE(id);
    LegacyClient device(env.local_port(), "legacy-" + sensor);
    REQUIRE(device.wait_connected());
    device.subscribe(topic + "/#");
    REQUIRE(device.publish(topic + "/telemetry", R"({"seq":1})"));
    const auto sent = env.hub().wait_for_telemetry(id, 1, 30s);
    REQUIRE(sent.size() == 1);
    CHECK(sent[0]["payload"] == R"({"seq":1})");
    REQUIRE(env.hub().wait_for_connected(id));

    auto call = std::async(std::launch::async, [&] {
        return env.hub().invoke_method(id, "ping", {{"n", 1}}, 15);
    });
    auto request = device.wait_for([&](const LegacyMessage& m) {
        return m.topic.rfind(topic + "/rpc/ping/", 0) == 0 &&
               m.topic.find("/reply/") == std::string::npos;
    });
    REQUIRE(request);
    REQUIRE(device.publish(request->topic + "/reply/200", R"({"pong":1})"));
    const auto answer = call.get();
    REQUIRE(answer.status == 200);
    CHECK(answer.body["payload"]["pong"] == 1);

    HubsimC2d c2d;
    c2d.payload = "hello " + sensor;
    REQUIRE(env.hub().send_c2d(id, c2d).ok());
    auto message =
        device.wait_for([&](const LegacyMessage& m) { return m.topic == topic + "/inbox"; });
    REQUIRE(message);
    CHECK(message->payload == "hello " + sensor);
}

}  // namespace

TEST_CASE("auth mode device-keys: each device's session signs with its own key") {
    auto options = with_devices({"plant1-k1"});
    options.auth_mode = "device-keys";
    BridgeEnv env(options);
    env.start_hubgate();
    check_round_trip(env, "k1");
    CHECK(env.stop_hubgate() == 0);
}

TEST_CASE("auth mode x509: a CA-issued and a self-signed device certificate each carry a session") {
    auto options = with_devices({"plant1-c1"});
    options.self_signed_devices = {"plant1-c2"};
    options.auth_mode = "x509";
    BridgeEnv env(options);
    env.start_hubgate();
    check_round_trip(env, "c1");
    check_round_trip(env, "c2");
    const auto ca_device = env.hub().get_device("plant1-c1");
    CHECK(ca_device.body["authentication"]["type"] == "certificateAuthority");
    CHECK(env.hub().get_device("plant1-c2").body["authentication"]["type"] == "selfSigned");
    CHECK(env.stop_hubgate() == 0);
}

}  // namespace hubgate::test
