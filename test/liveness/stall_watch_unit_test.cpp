// Heartbeats and the stall watch that gates the systemd watchdog: pure logic, times given.
#include <doctest/doctest.h>

#include <algorithm>

#include "gateway/liveness/stall_watch.hpp"
#include "gateway/liveness/thread_heartbeat.hpp"

namespace hubgate::liveness {

namespace {

using std::chrono::milliseconds;

bool listed(const std::vector<ThreadBeat>& beats, const std::string& name) {
    return std::any_of(beats.begin(), beats.end(),
                       [&](const ThreadBeat& beat) { return beat.name == name; });
}

}  // namespace

TEST_CASE("a heartbeat is listed while it lives, with its last beat") {
    ThreadRegistry registry;
    {
        const auto before = Clock::now();
        Heartbeat heartbeat("local link", registry);
        const auto beats = registry.beats();
        REQUIRE(beats.size() == 1);
        CHECK(beats[0].name == "local link");
        CHECK(beats[0].last_beat >= before);  // construction counts as a beat
        heartbeat.beat();
        CHECK(registry.beats()[0].last_beat >= beats[0].last_beat);
    }
    CHECK(registry.beats().empty());
}

TEST_CASE("stall watch: threads that beat within the bound are moving") {
    StallWatch watch(milliseconds(1000));
    const auto now = Clock::now();
    CHECK(watch.all_moving(
        {{"local link", now - milliseconds(100)}, {"session manager", now - milliseconds(1000)}},
        now));
    CHECK(watch.stuck().empty());
}

TEST_CASE("stall watch: a thread silent beyond the bound is stuck until it beats again") {
    StallWatch watch(milliseconds(1000));
    const auto now = Clock::now();
    const std::vector<ThreadBeat> hung{{"local link", now - milliseconds(1500)},
                                       {"session manager", now}};
    CHECK_FALSE(watch.all_moving(hung, now));
    CHECK(watch.stuck().contains("local link"));
    CHECK_FALSE(watch.stuck().contains("session manager"));
    // Still stuck a moment later (logged once: the set says it is known).
    CHECK_FALSE(watch.all_moving(hung, now + milliseconds(100)));
    // It moved: the watchdog may ping again.
    CHECK(watch.all_moving({{"local link", now + milliseconds(200)}, {"session manager", now}},
                           now + milliseconds(300)));
    CHECK(watch.stuck().empty());
}

TEST_CASE("the process registry lists the heartbeats of every module") {
    Heartbeat heartbeat("test thread");
    CHECK(listed(process_threads().beats(), "test thread"));
}

}  // namespace hubgate::liveness

namespace hubgate::liveness {

TEST_CASE("call watch: idle counts as moving, a call in progress as beating when it began") {
    ThreadRegistry registry;
    StallWatch watch(std::chrono::milliseconds(1000));
    CallWatch callbacks("upstream callbacks of d1", registry);
    const auto later = Clock::now() + std::chrono::seconds(5);
    // No call in progress: it beats whenever it is read (a thread we do not own has nothing to
    // beat on between calls), so no idle time makes it stuck.
    const auto read_at = Clock::now();
    auto beats = registry.beats();
    REQUIRE(beats.size() == 1);
    CHECK(beats[0].name == "upstream callbacks of d1");
    CHECK(beats[0].last_beat >= read_at);
    {
        const CallWatch::Call call(callbacks);
        beats = registry.beats();
        CHECK(watch.all_moving(beats, Clock::now()));
        // The same call, still in progress five seconds on: stuck, by name.
        CHECK_FALSE(watch.all_moving(beats, later));
        CHECK(watch.stuck().contains("upstream callbacks of d1"));
        // Still in progress when the registry is read again: still stuck.
        CHECK_FALSE(watch.all_moving(registry.beats(), later));
    }
    // The call returned: moving again.
    CHECK(watch.all_moving(registry.beats(), Clock::now()));
}

}  // namespace hubgate::liveness
