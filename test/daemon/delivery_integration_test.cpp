// End to end, at least once under load and failures: many devices, a killed hubgate and a
// restarted local broker (a real hub outage: outage_integration_test.cpp). Messages are counted by
// device and payload "seq", and by the $.mid hubgate gave them.
#include <doctest/doctest.h>

#include <csignal>

#include "bridge_env.hpp"
#include "fleet.hpp"
#include "hub_telemetry.hpp"
#include "legacy_client.hpp"

namespace hubgate::test {

TEST_CASE("100 devices x 100 messages all arrive, each once, each with its own $.mid") {
    constexpr int kDevices = 100;
    constexpr int kPerDevice = 100;
    const auto ids = device_ids(kDevices);
    BridgeEnv env(with_devices(ids));
    env.start_hubgate();
    LegacyClient devices(env.local_port(), "legacy-fleet");
    REQUIRE(devices.wait_connected());

    publish_range(devices, kDevices, 1, kPerDevice);
    REQUIRE(devices.wait_acknowledged(kDevices * kPerDevice, 120s));

    const auto received = collect_telemetry(env.hub(), kDevices * kPerDevice, 240s);
    const auto absent = missing(received, ids, kPerDevice);
    INFO("first missing: " << first_missing(absent));
    CHECK(absent.empty());
    CHECK(received.message_ids.size() == kDevices * kPerDevice);
    CHECK(received.messages.size() == kDevices * kPerDevice);  // no duplicates without faults
    CHECK(env.stop_hubgate() == 0);
}

TEST_CASE("kill -9 of hubgate mid-stream loses nothing - a resent message keeps its $.mid") {
    constexpr int kDevices = 20;
    constexpr int kPerDevice = 100;
    const auto ids = device_ids(kDevices);
    BridgeEnv env(with_devices(ids));
    // A slow hub (each PUBACK held back) keeps most of the first half in hubgate's spool or in
    // flight, already acknowledged to the local broker, when hubgate dies.
    REQUIRE(env.hub().set_faults({{"pubackDelayMs", 20}}).ok());
    env.start_hubgate();
    LegacyClient devices(env.local_port(), "legacy-fleet");
    REQUIRE(devices.wait_connected());

    publish_range(devices, kDevices, 1, 60);
    REQUIRE(devices.wait_acknowledged(kDevices * 60, 60s));
    REQUIRE(env.hub().wait_for_telemetry("", 50, 60s).size() >= 50);
    env.kill_hubgate();
    const auto at_kill = env.hub().telemetry().body.value("last", 0);
    MESSAGE("the hub had " << at_kill << " of " << kDevices * 60
                           << " spooled messages when hubgate was killed");
    CHECK(at_kill < kDevices * 60);
    // The second half waits in the local broker, for hubgate's persistent session.
    publish_range(devices, kDevices, 61, kPerDevice);
    REQUIRE(devices.wait_acknowledged(kDevices * kPerDevice, 60s));
    REQUIRE(env.hub().set_faults({{"pubackDelayMs", 0}}).ok());
    env.start_hubgate();

    const auto received = collect_telemetry(env.hub(), kDevices * kPerDevice, 180s);
    const auto absent = missing(received, ids, kPerDevice);
    INFO("first missing: " << first_missing(absent));
    CHECK(absent.empty());
    for (const auto& [message, mids] : received.mids_by_message) {
        CHECK_MESSAGE(mids.size() == 1, message << " arrived with " << mids.size() << " ids");
    }
    const auto duplicates = received.messages.size() - received.distinct_seqs();
    MESSAGE(duplicates << " duplicates after the crash");
    CHECK(env.stop_hubgate() == 0);
}

TEST_CASE("a restarted local broker: hubgate resubscribes and carries on") {
    const std::vector<std::string> ids{"plant1-s0"};
    BridgeEnv env(with_devices(ids));
    env.start_hubgate();
    {
        LegacyClient device(env.local_port(), "legacy-before");
        REQUIRE(device.wait_connected());
        publish_range(device, 1, 1, 10);
        REQUIRE(device.wait_acknowledged(10));
    }
    REQUIRE(env.hub().wait_for_telemetry("plant1-s0", 10, 30s).size() == 10);

    const auto before = env.hubgate().output().size();
    env.stop_local_broker();
    env.start_local_broker();  // without persistence: hubgate's session and subscriptions are gone
    REQUIRE(env.wait_for_log("subscribed to", 30s, before));

    LegacyClient device(env.local_port(), "legacy-after");
    REQUIRE(device.wait_connected());
    publish_range(device, 1, 11, 20);
    REQUIRE(device.wait_acknowledged(10));
    const auto received = collect_telemetry(env.hub(), 20, 30s);
    const auto absent = missing(received, ids, 20);
    INFO("first missing: " << first_missing(absent));
    CHECK(absent.empty());
    CHECK(env.stop_hubgate() == 0);
}

}  // namespace hubgate::test
