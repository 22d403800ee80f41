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
    CHECK(kinds.size() == 10);
    CHECK(full_blackhole);
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
