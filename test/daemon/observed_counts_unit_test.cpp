// What metrics and `hubgate status` show, worked out from the bridge's counters and session
// snapshots; and the hand-over times the method round-trip histogram is measured from.
#include <doctest/doctest.h>

#include <algorithm>

#include "gateway/core/method_table.hpp"
#include "gateway/daemon/observed_counts.hpp"

namespace hubgate::test {

namespace {

using daemon::SessionTotals;
using session::SessionState;

session::SessionSnapshot snapshot(const std::string& id, SessionState state,
                                  session::SessionCounters counters = {}) {
    session::SessionSnapshot s;
    s.device_id = id;
    s.state = state;
    s.counters = counters;
    return s;
}

session::SessionCounters renewals(std::uint64_t n) {
    session::SessionCounters c;
    c.renewals = n;
    return c;
}

// The value named `key` in a list of (name, value) pairs.
std::optional<std::uint64_t> find(const metrics::LabelledCounts& counts, const std::string& key) {
    for (const auto& [name, value] : counts) {
        if (name == key) {
            return value;
        }
    }
    return std::nullopt;
}

core::ReplyKey reply_to(const std::string& device_id, const std::string& rid) {
    return {device_id, rid, "", false};
}

}  // namespace

TEST_CASE("a session's counters become reconnects, throttle hits and token renewals") {
    session::SessionCounters c;
    c.connection_losses = 2;
    c.connect_failures = 3;
    c.twin_throttled = 4;
    c.connects_throttled = 1;
    c.renewals = 5;
    c.connects = 9;  // includes the first connect and renewals: not a reconnect by itself
    CHECK(daemon::session_totals(c) == SessionTotals{5, 5, 5});
}

TEST_CASE("session totals never go down when a device's session starts again") {
    daemon::MonotonicSessionTotals totals;
    CHECK(totals
              .update({snapshot("a", SessionState::Connected, renewals(2)),
                       snapshot("b", SessionState::Connected, renewals(1))})
              .token_renewals == 3);
    // a's session was closed and reopened (counts from zero); b's session is gone.
    CHECK(totals.update({snapshot("a", SessionState::Connected, renewals(1))}).token_renewals ==
          2 + 1 + 1);
    CHECK(totals.update({snapshot("a", SessionState::Connected, renewals(3))}).token_renewals ==
          2 + 3 + 1);
    CHECK(totals.update({}).token_renewals == 2 + 3 + 1);
}

TEST_CASE("gateway counts list every reason and state, and sum what was routed") {
    core::BridgeCounters bridge;
    bridge.telemetry_acked = 3;
    bridge.reported_sent = 1;
    bridge.method_replies = 1;
    bridge.telemetry_spooled = 9;  // not routed until the hub acknowledges
    bridge.mapping_rejected[static_cast<std::size_t>(
        mappings::RejectReason::payload_not_json_object)] = 2;
    bridge.bridge_rejected[static_cast<std::size_t>(core::BridgeReject::no_rule)] = 1;
    bridge.plugin_crashes = 1;
    bridge.dead_lettered = 3;
    spool::SpoolCounters spool;
    spool.appended = 7;
    spool.bytes = 1234;
    transport::LinkCounters local;
    const std::vector<session::SessionSnapshot> sessions{snapshot("a", SessionState::Connected),
                                                         snapshot("b", SessionState::Connected),
                                                         snapshot("c", SessionState::BackingOff)};

    const auto counts =
        daemon::gateway_counts({bridge, spool, local, sessions, SessionTotals{4, 5, 6}});
    CHECK(counts.messages_routed == 5);
    CHECK(counts.rejected_by_reason.size() == core::kMappingRejectCount + core::kBridgeRejectCount);
    CHECK(find(counts.rejected_by_reason, "payload_not_json_object") == 2);
    CHECK(find(counts.rejected_by_reason, "no_rule") == 1);
    CHECK(find(counts.rejected_by_reason, "hook_failed") == 0);
    CHECK(counts.messages_spooled == 7);
    CHECK(counts.spool_bytes == 1234);
    CHECK(counts.sessions_by_state.size() == 8);
    CHECK(find(counts.sessions_by_state, "connected") == 2);
    CHECK(find(counts.sessions_by_state, "backing-off") == 1);
    CHECK(find(counts.sessions_by_state, "refused") == 0);
    CHECK(find(counts.sessions_by_state, "closed") == 0);
    CHECK(counts.reconnects == 4);
    CHECK(counts.throttle_hits == 5);
    CHECK(counts.token_renewals == 6);
    CHECK(counts.plugin_crashes == 1);
    CHECK(counts.dead_lettered == 3);
}

TEST_CASE("status counters name each non-zero rejection reason") {
    core::BridgeCounters bridge;
    bridge.uplink_received = 10;
    bridge.telemetry_acked = 6;
    bridge.bridge_rejected[static_cast<std::size_t>(core::BridgeReject::no_rule)] = 3;
    bridge.plugin_crashes = 1;
    bridge.dead_lettered = 2;
    spool::SpoolCounters spool;
    spool.bytes = 512;
    transport::LinkCounters local;
    local.connected = true;
    const std::vector<session::SessionSnapshot> sessions;

    const auto counters =
        daemon::status_counters({bridge, spool, local, sessions, SessionTotals{0, 0, 2}});
    CHECK(find(counters, "uplink_received") == 10);
    CHECK(find(counters, "routed") == 6);
    CHECK(find(counters, "rejected") == 3);
    CHECK(find(counters, "rejected_no_rule") == 3);
    CHECK_FALSE(find(counters, "rejected_hook_failed"));
    CHECK(find(counters, "spool_bytes") == 512);
    CHECK(find(counters, "local_connected") == 1);
    CHECK(find(counters, "token_renewals") == 2);
    CHECK(find(counters, "plugin_crashes") == 1);
    CHECK(find(counters, "dead_lettered") == 2);
    // Listed once each, in a fixed order (the table shows them as given).
    auto names = counters;
    std::sort(names.begin(), names.end());
    CHECK(std::adjacent_find(names.begin(), names.end(), [](const auto& x, const auto& y) {
              return x.first == y.first;
          }) == names.end());
}

TEST_CASE("a method reply takes the time its request was handed to the device") {
    core::MethodTable methods;
    const auto t0 = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
    const auto deadline = t0 + std::chrono::seconds(10);
    methods.add({"dev", "reboot", "1", t0, deadline});
    methods.add({"dev", "reboot", "2", t0 + std::chrono::milliseconds(250), deadline});

    const auto second = methods.take(reply_to("dev", "2"));
    REQUIRE(second);
    CHECK(second->rid == "2");
    CHECK(second->handed_at == t0 + std::chrono::milliseconds(250));
    CHECK_FALSE(methods.take(reply_to("dev", "2")));  // answered once only

    // An expired request is forgotten with its time: the same rid used again gets its own.
    CHECK(methods.expire(deadline).size() == 1);
    methods.add({"dev", "reboot", "1", deadline, deadline + std::chrono::seconds(10)});
    const auto again = methods.take(reply_to("dev", "1"));
    REQUIRE(again);
    CHECK(again->handed_at == deadline);
    CHECK(methods.size() == 0);
}

TEST_CASE("the bridge's round-trip histogram uses the method buckets") {
    core::BridgeCounters bridge;
    bridge.method_roundtrip.observe(0.02);
    const auto snap = bridge.method_roundtrip.snapshot();
    CHECK(snap.count == 1);
    CHECK(snap.upper_bounds == metrics::method_roundtrip_buckets());
}

}  // namespace hubgate::test
