// The seeded fault schedule: replayable from its seed, faults within the run, lanes that never
// overlap themselves, and every kind of fault in a long run.

#include <doctest/doctest.h>

#include <set>

#include "fault_schedule.hpp"

namespace hubgate::chaos {

using namespace std::chrono_literals;

TEST_CASE("the same seed gives the same schedule, another seed another one") {
    const auto a = describe(make_schedule({.seed = 7, .length = 600s}));
    CHECK(a == describe(make_schedule({.seed = 7, .length = 600s})));
    CHECK(a != describe(make_schedule({.seed = 8, .length = 600s})));
    CHECK(!a.empty());
}

TEST_CASE("faults end within the run and a lane's faults do not overlap") {
    for (uint64_t seed = 1; seed <= 20; ++seed) {
        const auto schedule = make_schedule({.seed = seed, .length = 60s});
        std::chrono::milliseconds process_free{0};
        std::chrono::milliseconds uplink_free{0};
        for (const auto& fault : schedule) {
            CHECK(fault.at + fault.duration < 60s);
            auto& free_at = is_uplink_fault(fault.kind) ? uplink_free : process_free;
            CHECK(fault.at >= free_at);
            free_at = fault.at + fault.duration;
        }
    }
}

TEST_CASE("a 20-minute run plays every kind of fault, with a 60 s blackhole") {
    std::set<FaultKind> kinds;
    bool full_blackhole = false;
    for (const auto& fault : make_schedule({.seed = 3, .length = 1200s})) {
        kinds.insert(fault.kind);
        full_blackhole =
            full_blackhole || (fault.kind == FaultKind::Blackhole && fault.duration == 60s);
    }
    CHECK(kinds.size() == 13);
    CHECK(full_blackhole);
}

TEST_CASE("poison messages, hanging hooks and disk-full windows are process faults, replayable") {
    const auto schedule = make_schedule({.seed = 3, .length = 1200s});
    int poison = 0;
    int hangs = 0;
    int disk_full = 0;
    for (const auto& fault : schedule) {
        switch (fault.kind) {
            case FaultKind::PoisonMessage:
                ++poison;
                CHECK(fault.duration == 0s);  // it lasts as long as hubgate takes to recover
                break;
            case FaultKind::HangingHook:
                ++hangs;
                CHECK(fault.duration == 0s);
                break;
            case FaultKind::DiskFull:
                ++disk_full;
                CHECK(fault.duration >= 3s);
                CHECK(fault.duration <= 15s);
                break;
            default:
                continue;
        }
        CHECK_FALSE(is_uplink_fault(fault.kind));
    }
    CHECK(poison > 0);
    CHECK(hangs > 0);
    CHECK(disk_full > 0);
    CHECK(describe(schedule) == describe(make_schedule({.seed = 3, .length = 1200s})));
    CHECK(describe(schedule).find("poison-message") != std::string::npos);
    CHECK(describe(schedule).find("spool-disk-full") != std::string::npos);
}

TEST_CASE("every 60-second run plays a poison message and a hanging hook") {
    for (uint64_t seed = 1; seed <= 100; ++seed) {
        std::set<FaultKind> kinds;
        for (const auto& fault : make_schedule({.seed = seed, .length = 60s})) {
            kinds.insert(fault.kind);
        }
        CHECK(kinds.contains(FaultKind::PoisonMessage));
        CHECK(kinds.contains(FaultKind::HangingHook));
    }
}

TEST_CASE("a short run gets a blackhole of at least 20 s") {
    for (uint64_t seed = 1; seed <= 50; ++seed) {
        for (const auto& fault : make_schedule({.seed = seed, .length = 60s})) {
            if (fault.kind == FaultKind::Blackhole) {
                CHECK(fault.duration == 20s);
            }
        }
    }
}

}  // namespace hubgate::chaos
