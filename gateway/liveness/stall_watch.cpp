#include "gateway/liveness/stall_watch.hpp"

#include <spdlog/spdlog.h>

namespace hubgate::liveness {

namespace {

double seconds(Clock::duration d) {
    return std::chrono::duration<double>(d).count();
}

}  // namespace

bool StallWatch::all_moving(const std::vector<ThreadBeat>& beats, Clock::time_point now) {
    std::set<std::string, std::less<>> stuck_now;
    for (const auto& beat : beats) {
        const auto silent = now - beat.last_beat;
        if (silent <= bound_) {
            continue;
        }
        stuck_now.insert(beat.name);
        if (!stuck_.contains(beat.name)) {
            spdlog::error(
                "watchdog: thread '{}' is stuck: no turn of its loop for {:.1f} s (bound {:.1f} "
                "s); not telling systemd we are alive, so it restarts hubgate unless the thread "
                "moves again",
                beat.name, seconds(silent), seconds(bound_));
        }
    }
    for (const auto& name : stuck_) {
        if (!stuck_now.contains(name)) {
            spdlog::warn("watchdog: thread '{}' is moving again", name);
        }
    }
    stuck_ = std::move(stuck_now);
    return stuck_.empty();
}

}  // namespace hubgate::liveness
