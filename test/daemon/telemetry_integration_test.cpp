// End to end, the simplest path: a legacy device publishes telemetry to the local broker and the
// hub receives it from the device's own session, with the mapping's properties and a $.mid.
#include <doctest/doctest.h>

#include "bridge_env.hpp"
#include "hub_telemetry.hpp"
#include "legacy_client.hpp"

namespace hubgate::test {

TEST_CASE("telemetry reaches the hub as the device, with properties and a message id") {
    BridgeEnv env(with_devices({"plant1-s1"}));
    env.start_hubgate();
    LegacyClient device(env.local_port(), "legacy-s1");
    REQUIRE(device.wait_connected());
    REQUIRE(device.publish("t/plant1/s1/telemetry", R"({"seq":1,"temperature":21.5})"));

    const auto messages = env.hub().wait_for_telemetry("plant1-s1", 1, 30s);
    REQUIRE(messages.size() == 1);
    const auto& message = messages.front();
    CHECK(message["deviceId"] == "plant1-s1");
    CHECK(message["payload"] == R"({"seq":1,"temperature":21.5})");
    CHECK(message["properties"]["site"] == "plant1");
    CHECK(message["systemProperties"]["$.ct"] == "application/json");
    CHECK(message["systemProperties"]["$.mid"].get<std::string>().size() == 36);  // a UUID

    CHECK(env.stop_hubgate() == 0);
    CHECK(env.hubgate_output().find("bridge stopped") != std::string::npos);
}

}  // namespace hubgate::test
