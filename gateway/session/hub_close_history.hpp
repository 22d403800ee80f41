#pragma once
// When the hub closed established sessions, across every device: tells a close that hit one
// device (another connection took its id) from one that hit many at once (the hub restarted, a
// load balancer or the network dropped connections), so that a hub outage does not park the
// fleet as "replaced".

#include <cstddef>
#include <deque>

#include "gateway/session/clock.hpp"

namespace hubgate::session {

// Close times, oldest first, kept for `horizon`. Single-threaded (the session manager's).
class HubCloseHistory {
  public:
    explicit HubCloseHistory(Millis horizon) : horizon_(horizon) {}

    // A session's connection was closed by the hub at `at` (times arrive in order).
    void record(SteadyTime at);
    // How many closes (of any session, the asker's included) lie within `radius` of `at`.
    std::size_t count_near(SteadyTime at, Millis radius) const;
    std::size_t size() const { return closes_.size(); }

  private:
    Millis horizon_;
    std::deque<SteadyTime> closes_;
};

// True when a close near `at` was shared: at least two sessions, and at least one in twenty of
// the `open_sessions`, lost their connection within `radius` of it.
bool close_was_shared(const HubCloseHistory& history, SteadyTime at, Millis radius,
                      std::size_t open_sessions);

}  // namespace hubgate::session
