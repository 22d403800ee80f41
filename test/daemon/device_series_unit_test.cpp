// DeviceSeries: which devices get per-device series under the cap, and counters that do not go
// down when a device's session starts again.
#include <doctest/doctest.h>

#include "gateway/daemon/device_series.hpp"

using hubgate::daemon::DeviceSeries;
using hubgate::session::SessionSnapshot;
using hubgate::session::SessionState;
using hubgate::session::WallTime;
using hubgate::spool::DeviceBacklog;

namespace {

SessionSnapshot session(const std::string& id, SessionState state, std::uint64_t acked) {
    SessionSnapshot s;
    s.device_id = id;
    s.state = state;
    s.counters.telemetry_acked = acked;
    return s;
}

}  // namespace

TEST_CASE("the first devices seen keep their series, later ones are counted and not exported") {
    DeviceSeries series(2);
    auto samples = series.update({session("b", SessionState::Connected, 1)}, {});
    REQUIRE(samples.size() == 1);
    samples = series.update(
        {session("a", SessionState::Connected, 0), session("b", SessionState::Connected, 1),
         session("c", SessionState::Connected, 0)},
        {});
    // "a" and "b" in id order: "a" came second, "c" third, after the cap of two.
    REQUIRE(samples.size() == 2);
    CHECK(samples[0].device_id == "a");
    CHECK(samples[1].device_id == "b");
    CHECK(series.over_limit() == 1);

    // A device only in the spool counts against the cap the same way.
    samples = series.update({}, {{"d", 4, 400}});
    CHECK(samples.size() == 2);
    CHECK(series.over_limit() == 2);
    // Series stay when their sessions are gone, so they do not come and go.
    CHECK_FALSE(samples[0].connected);
}

TEST_CASE("a device's counters and last uplink survive a new session starting from zero") {
    DeviceSeries series(10);
    auto first = session("a", SessionState::Connected, 5);
    first.last_uplink = WallTime{} + std::chrono::seconds(1800000000);
    first.counters.c2d_received = 2;
    auto samples = series.update({first}, {{"a", 3, 300}});
    REQUIRE(samples.size() == 1);
    CHECK(samples[0].connected);
    CHECK(samples[0].telemetry_acked == 5);
    CHECK(samples[0].downlinks == 2);
    CHECK(samples[0].spool_messages == 3);
    CHECK(samples[0].spool_bytes == 300);
    REQUIRE(samples[0].last_uplink_seconds);
    CHECK(*samples[0].last_uplink_seconds == 1800000000.0);

    // The session closed (idle): gone from the snapshot, and nothing spooled.
    samples = series.update({}, {});
    REQUIRE(samples.size() == 1);
    CHECK_FALSE(samples[0].connected);
    CHECK(samples[0].telemetry_acked == 5);
    CHECK(samples[0].spool_messages == 0);
    CHECK(samples[0].last_uplink_seconds == 1800000000.0);

    // A new session counts from zero: the old one's count is kept underneath.
    samples = series.update({session("a", SessionState::Connecting, 2)}, {});
    CHECK(samples[0].telemetry_acked == 7);
    CHECK(samples[0].last_uplink_seconds == 1800000000.0);
}
