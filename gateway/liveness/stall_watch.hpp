#pragma once
// Decides, from the threads' heartbeats, whether the daemon may tell systemd it is alive: not
// while a thread that moves messages has been stuck longer than the bound. Logs each thread the
// moment it is seen stuck (once per episode) and when it moves again.

#include <set>
#include <string>
#include <vector>

#include "gateway/liveness/thread_heartbeat.hpp"

namespace hubgate::liveness {

class StallWatch {
  public:
    explicit StallWatch(Clock::duration bound) : bound_(bound) {}

    // True when every thread in `beats` beat within the bound before `now`.
    bool all_moving(const std::vector<ThreadBeat>& beats, Clock::time_point now);
    // Names of the threads seen stuck at the last all_moving().
    const std::set<std::string, std::less<>>& stuck() const { return stuck_; }

  private:
    Clock::duration bound_;
    std::set<std::string, std::less<>> stuck_;
};

}  // namespace hubgate::liveness
