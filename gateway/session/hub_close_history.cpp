#include "gateway/session/hub_close_history.hpp"

#include <algorithm>

namespace hubgate::session {

void HubCloseHistory::record(SteadyTime at) {
    // A clock that stepped back (tests, or close events relayed out of order) keeps the deque
    // sorted: binary search below relies on it.
    if (!closes_.empty() && at < closes_.back()) {
        at = closes_.back();
    }
    closes_.push_back(at);
    while (!closes_.empty() && at - closes_.front() > horizon_) {
        closes_.pop_front();
    }
}

std::size_t HubCloseHistory::count_near(SteadyTime at, Millis radius) const {
    const auto first = std::lower_bound(closes_.begin(), closes_.end(), at - radius);
    const auto last = std::upper_bound(first, closes_.end(), at + radius);
    return static_cast<std::size_t>(last - first);
}

bool close_was_shared(const HubCloseHistory& history, SteadyTime at, Millis radius,
                      std::size_t open_sessions) {
    const std::size_t threshold = std::max<std::size_t>(2, (open_sessions + 19) / 20);
    return history.count_near(at, radius) >= threshold;
}

}  // namespace hubgate::session
