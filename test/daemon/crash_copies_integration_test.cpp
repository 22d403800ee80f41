// End to end, issue #15 §5: a kill -9 of hubgate in the middle of a stream must not multiply it.
// Ten legacy devices publish a backlog at once; hubgate is killed when the hub has a third of it
// and started again. Everything must arrive; the extra copies at the hub must be at most what
// was in flight upstream at the kill (max_inflight x devices), and each must carry the $.mid of
// its first copy, so that a consumer can drop it.
#include <doctest/doctest.h>

#include <csignal>
#include <fstream>
#include <iterator>
#include <memory>
#include <thread>
#include <vector>

#include "bridge_env.hpp"
#include "fleet.hpp"
#include "hub_telemetry.hpp"
#include "legacy_client.hpp"

namespace hubgate::test {

namespace {

// Blocks (bounded) until the hub recorded at least `count` telemetry messages in all. Asks for
// the count only (no message is after that sequence number), so the poll stays cheap.
bool wait_for_hub_count(const HubsimFixture& hub, std::uint64_t count,
                        std::chrono::milliseconds timeout) {
    constexpr std::uint64_t kBeyondAny = std::uint64_t{1} << 40;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        const auto reply = hub.telemetry(kBeyondAny, 0s);
        if (reply.ok() && reply.body.value("last", std::uint64_t{0}) >= count) {
            return true;
        }
        std::this_thread::sleep_for(20ms);  // polling interval of a bounded wait, not a delay
    }
    return false;
}

}  // namespace

// Ten device clients publish `per_device` numbered messages each, interleaved.
std::vector<std::unique_ptr<LegacyClient>> publish_from_devices(const BridgeEnv& env, int devices,
                                                                int per_device) {
    std::vector<std::unique_ptr<LegacyClient>> clients;
    for (int d = 0; d < devices; ++d) {
        clients.push_back(
            std::make_unique<LegacyClient>(env.local_port(), "legacy-" + std::to_string(d)));
        REQUIRE(clients.back()->wait_connected());
    }
    for (int seq = 1; seq <= per_device; ++seq) {
        for (int d = 0; d < devices; ++d) {
            REQUIRE(clients[d]->publish("t/plant1/s" + std::to_string(d) + "/telemetry",
                                        R"({"seq":)" + std::to_string(seq) + "}"));
        }
    }
    return clients;
}

TEST_CASE("kill -9 mid-stream: extra copies are only what was in flight, with the first $.mid") {
    constexpr int kDevices = 10;
    constexpr int kPerDevice = 3000;
    constexpr int kTotal = kDevices * kPerDevice;
    constexpr int kMaxInflight = 16;  // sessions.max_inflight (the default)
    const auto ids = device_ids(kDevices);
    BridgeEnv env(with_devices(ids));
    env.start_hubgate();
    // One client per device, as real devices are: the broker then reads several publishers per
    // turn against hubgate's one stream of PUBACKs.
    const auto devices = publish_from_devices(env, kDevices, kPerDevice);
    REQUIRE(wait_for_hub_count(env.hub(), kTotal / 3, 120s));
    const auto taken_before = env.status_counters().value("uplink_received", 0);
    env.kill_hubgate();
    const auto at_kill = env.hub().telemetry(std::uint64_t{1} << 40).body.value("last", 0);
    env.start_hubgate();

    const auto received = collect_telemetry(env.hub(), kTotal, 240s);
    const auto absent = missing(received, ids, kPerDevice);
    INFO("first missing: " << first_missing(absent));
    CHECK(absent.empty());
    const auto taken_after = env.status_counters().value("uplink_received", 0);
    std::size_t new_ids = 0;
    for (const auto& [message, mids] : received.mids_by_message) {
        new_ids += mids.size() - 1;
    }
    const std::size_t copies = received.messages.size() - received.distinct_seqs();
    MESSAGE("hub had " << at_kill << " at the kill; hubgate had taken at least " << taken_before
                       << "; the restarted one took " << taken_after << " (" << kTotal
                       << " published): the local broker delivered at least "
                       << (taken_before + taken_after - kTotal) << " again");
    MESSAGE(copies << " extra copies at the hub, " << new_ids << " of them with a new $.mid");
    CHECK(new_ids == 0);
    CHECK(copies <= static_cast<std::size_t>(kMaxInflight * kDevices));
    CHECK(env.stop_hubgate() == 0);
}

TEST_CASE(
    "kill -9 mid-stream: the broker redelivers at most local.max_unconfirmed stored messages") {
    constexpr int kDevices = 10;
    constexpr int kPerDevice = 3000;
    constexpr int kTotal = kDevices * kPerDevice;
    constexpr int kMaxUnconfirmed = 500;
    // What may be taken past the limit: the read batch in progress when it is reached.
    constexpr int kBatch = 256;
    const auto ids = device_ids(kDevices);
    BridgeEnv env(with_devices(ids));
    const auto config = env.dir().path() / "hubgate.toml";
    std::string text;
    {
        std::ifstream in(config);
        text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    text.replace(text.find("[local]\n"), 8,
                 "[local]\nmax_unconfirmed = " + std::to_string(kMaxUnconfirmed) + "\n");
    std::ofstream(config) << text;
    env.start_hubgate();
    const auto devices = publish_from_devices(env, kDevices, kPerDevice);
    REQUIRE(wait_for_hub_count(env.hub(), kTotal / 3, 120s));
    env.kill_hubgate();
    env.start_hubgate();

    const auto received = collect_telemetry(env.hub(), kTotal, 240s);
    CHECK(missing(received, ids, kPerDevice).empty());
    const auto redelivered = env.status_counters().value("spool_redeliveries", -1);
    MESSAGE("the restarted hubgate recognised " << redelivered
                                                << " messages the first had stored already");
    CHECK(redelivered >= 0);
    CHECK(redelivered <= kMaxUnconfirmed + kBatch);
    CHECK(env.stop_hubgate() == 0);
}

}  // namespace hubgate::test
