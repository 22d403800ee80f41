// Onboarding through DPS, end to end: hubsim with an enrollment group and nothing in its
// registry, hubgate with [provisioning] mode = "dps-symmetric-key", and a legacy device that
// publishes for the first time. Its message waits in the spool while the device is provisioned,
// then reaches the hub; a restart uses the kept assignment instead of registering again.
#include <doctest/doctest.h>

#include <filesystem>

#include "bridge_env.hpp"
#include "harness/process.hpp"
#include "hub_telemetry.hpp"
#include "legacy_client.hpp"

namespace hubgate::test {

namespace {

int dps_counter(HubsimFixture& hub, const std::string& name) {
    const auto dps = hub.request("GET", "/hubsim/dps");
    REQUIRE(dps.ok());
    return dps.body["counters"][name].get<int>();
}

}  // namespace

TEST_CASE("a device never registered is provisioned through DPS and its first message arrives") {
    BridgeEnvOptions options;
    options.dps_group_key = HubsimFixture::random_key();
    BridgeEnv env(options);
    REQUIRE(env.hub().get_device("plant1-s9").status == 404);
    env.start_hubgate();

    LegacyClient device(env.local_port(), "legacy-s9");
    REQUIRE(device.wait_connected());
    REQUIRE(device.publish("t/plant1/s9/telemetry", R"({"seq":1})"));
    auto messages = env.hub().wait_for_telemetry("plant1-s9", 1, 60s);
    INFO(env.hubgate_output());
    REQUIRE(messages.size() == 1);
    CHECK(messages.front()["payload"] == R"({"seq":1})");
    CHECK(env.hub().get_device("plant1-s9").status == 200);
    CHECK(dps_counter(env.hub(), "assigned") == 1);
    CHECK(std::filesystem::exists(env.dir().path() / "state/provisioning/plant1-s9.json"));
    CHECK(env.hubgate_output().find("provisioning plant1-s9: assigned to") != std::string::npos);

    // `hubgate status` shows the device's provisioning.
    const auto socket = (env.dir().path() / "control.sock").string();
    const auto status = run(
        {std::string(HUBGATE_BIN_DIR) + "/hubgate", "status", "--socket", socket, "--json"}, 30s);
    REQUIRE(status.status == 0);
    const auto document = nlohmann::json::parse(status.output, nullptr, false);
    REQUIRE(document.is_object());
    REQUIRE(document["provisioning"].size() == 1);
    CHECK(document["provisioning"][0]["device_id"] == "plant1-s9");
    CHECK(document["provisioning"][0]["state"] == "assigned");
    CHECK(document["provisioning"][0]["assigned_hub"] == env.hub().hostname());

    // Restarted, hubgate connects the device with the assignment it kept: no second registration.
    CHECK(env.stop_hubgate() == 0);
    env.start_hubgate();
    REQUIRE(device.publish("t/plant1/s9/telemetry", R"({"seq":2})"));
    messages = env.hub().wait_for_telemetry("plant1-s9", 2, 60s);
    REQUIRE(messages.size() == 2);
    CHECK(messages.back()["payload"] == R"({"seq":2})");
    CHECK(dps_counter(env.hub(), "registrations") == 1);
    CHECK(env.stop_hubgate() == 0);
}

}  // namespace hubgate::test

namespace hubgate::test {

TEST_CASE("a provisioned device the hub no longer knows is provisioned again") {
    BridgeEnvOptions options;
    options.dps_group_key = HubsimFixture::random_key();
    BridgeEnv env(options);
    env.start_hubgate();
    LegacyClient device(env.local_port(), "legacy-s7");
    REQUIRE(device.wait_connected());
    REQUIRE(device.publish("t/plant1/s7/telemetry", R"({"seq":1})"));
    REQUIRE(env.hub().wait_for_telemetry("plant1-s7", 1, 60s).size() == 1);

    // Deleted from the registry and disconnected: the hub refuses its next CONNECT (CONNACK 5).
    REQUIRE(env.hub().delete_device("plant1-s7").ok());
    env.hub().kick("plant1-s7");
    REQUIRE(device.publish("t/plant1/s7/telemetry", R"({"seq":2})"));
    const auto messages = env.hub().wait_for_telemetry("plant1-s7", 2, 60s);
    INFO(env.hubgate_output());
    REQUIRE(messages.size() == 2);
    CHECK(messages.back()["payload"] == R"({"seq":2})");
    CHECK(dps_counter(env.hub(), "registrations") == 2);
    CHECK(env.hubgate_output().find("the hub refused the device it was assigned as") !=
          std::string::npos);
    CHECK(env.stop_hubgate() == 0);
}

}  // namespace hubgate::test
