// The bounded per-device C2D queue.
#include "hubsim/common/c2d_queue.hpp"

#include <algorithm>

namespace hubsim {

bool C2dQueue::push(C2dMessage message) {
    if (messages_.size() >= kMaxPending)
        return false;
    messages_.push_back(std::move(message));
    return true;
}

void C2dQueue::push_front(std::vector<C2dMessage> messages) {
    messages_.insert(messages_.begin(), std::make_move_iterator(messages.begin()),
                     std::make_move_iterator(messages.end()));
}

size_t C2dQueue::expire(std::chrono::system_clock::time_point now) {
    auto before = messages_.size();
    std::erase_if(messages_, [now](const C2dMessage& m) { return m.expires <= now; });
    return before - messages_.size();
}

std::vector<C2dMessage> C2dQueue::take_all() {
    std::vector<C2dMessage> out(std::make_move_iterator(messages_.begin()),
                                std::make_move_iterator(messages_.end()));
    messages_.clear();
    return out;
}

}  // namespace hubsim
