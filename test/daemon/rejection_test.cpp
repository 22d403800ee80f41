// End to end, bad input: each malformed message is refused with a counted, logged reason, and
// the good messages published around it still arrive.
#include <doctest/doctest.h>

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
