// Message age for the TTL: measured on the spool's own clock, so wall-clock steps (gateways
// without a real-time clock) neither expire a spool nor keep it forever.
#include <doctest/doctest.h>

#include "harness/scratch_dir.hpp"
#include "spool_test_support.hpp"

using namespace hubgate::spool;
using namespace hubgate::spool::test;
using hubgate::test::ScratchDir;
using namespace std::chrono_literals;

namespace {

constexpr auto kWeek = std::chrono::hours{24 * 7};
constexpr auto kDay = std::chrono::hours{24};

SpoolOptions week_ttl(const std::filesystem::path& dir, std::shared_ptr<FakeClock> clock) {
    auto options = options_for(dir, std::move(clock));
    options.ttl = kWeek;
    return options;
}

// A new boot: the monotonic clock starts again from an arbitrary value.
void reboot(FakeClock& clock) {
    clock.monotonic = std::chrono::steady_clock::time_point{std::chrono::minutes{3}};
}

}  // namespace

TEST_CASE("a wall clock stepped 30 days ahead at start-up does not expire the spool") {
    ScratchDir dir;
    auto clock = std::make_shared<FakeClock>();
    const auto options = week_ttl(dir.path(), clock);
    {
        auto spool = open_or_fail(options);
        REQUIRE(spool->append(message_for("dev", 0)).status == AppendStatus::ok);
        REQUIRE(spool->append(message_for("dev", 1)).status == AppendStatus::ok);
        clock->advance(1h);
    }
    reboot(*clock);
    clock->now += 30 * kDay;  // NTP answers after a boot without a real-time clock
    auto spool = open_or_fail(options);
    CHECK(spool->expire() == 0);
    CHECK(spool->backlog("dev") == 2);
    CHECK(spool->take("dev").size() == 2);
    CHECK(spool->counters().dropped_ttl == 0);
}

TEST_CASE("a wall clock step while running neither expires messages nor keeps them forever") {
    ScratchDir dir;
    auto clock = std::make_shared<FakeClock>();
    auto spool = open_or_fail(week_ttl(dir.path(), clock));
    REQUIRE(spool->append(message_for("dev", 0)).status == AppendStatus::ok);
    clock->now += 30 * kDay;
    CHECK(spool->expire() == 0);
    clock->now -= 60 * kDay;  // and back past the stamp
    clock->advance(kWeek - 1s);
    CHECK(spool->expire() == 0);
    clock->advance(2s);
    CHECK(spool->expire() == 1);
}

TEST_CASE("age runs on across restarts, and time while stopped does not count") {
    ScratchDir dir;
    auto clock = std::make_shared<FakeClock>();
    const auto options = week_ttl(dir.path(), clock);
    {
        auto spool = open_or_fail(options);
        REQUIRE(spool->append(message_for("dev", 0)).status == AppendStatus::ok);
        clock->advance(4 * kDay);
        spool->tidy();  // saves the clock, as housekeeping does every second
        std::filesystem::copy_file(dir.path() / "clock", dir.path() / "clock.tidied");
        clock->advance(1 * kDay);
    }
    // Killed instead of closed: the last day of running was never saved.
    std::filesystem::rename(dir.path() / "clock.tidied", dir.path() / "clock");
    reboot(*clock);
    clock->now -= 40 * kDay;  // a wall clock that starts far in the past does not matter either
    {
        auto spool = open_or_fail(options);
        // Appended after the restart: its stamp follows the earlier one.
        REQUIRE(spool->append(message_for("dev", 1)).status == AppendStatus::ok);
        clock->advance(2 * kDay);
    }  // closed cleanly: saved
    reboot(*clock);
    auto spool = open_or_fail(options);
    clock->advance(kDay - 1s);  // 4 + 2 + 1 days, less a second, of running since the first
    CHECK(spool->expire() == 0);
    clock->advance(2s);
    CHECK(spool->expire() == 1);
    CHECK(spool->backlog("dev") == 1);
}

TEST_CASE("the newest record's stamp bounds the clock when the clock file is lost") {
    ScratchDir dir;
    auto clock = std::make_shared<FakeClock>();
    const auto options = week_ttl(dir.path(), clock);
    {
        auto spool = open_or_fail(options);
        REQUIRE(spool->append(message_for("dev", 0)).status == AppendStatus::ok);
        clock->advance(3 * kDay);
        REQUIRE(spool->append(message_for("dev", 1)).status == AppendStatus::ok);
    }
    std::filesystem::remove(dir.path() / "clock");
    reboot(*clock);
    clock->now -= 100 * kDay;
    auto spool = open_or_fail(options);
    clock->advance(4 * kDay - 1s);
    CHECK(spool->expire() == 0);
    clock->advance(2s);
    CHECK(spool->expire() == 1);  // the first: 3 days before the newest, 4 days since
}
