// Device deadlines kept in two indexes: by device (to replace one) and by time (to find due ones).
#include "hubsim/common/session_deadlines.hpp"

namespace hubsim {

void SessionDeadlines::set(const std::string& id, int64_t deadline) {
    clear(id);
    if (deadline == 0)
        return;
    by_device_.emplace(id, deadline);
    by_time_.emplace(deadline, id);
}

void SessionDeadlines::clear(const std::string& id) {
    auto it = by_device_.find(id);
    if (it == by_device_.end())
        return;
    by_time_.erase({it->second, id});
    by_device_.erase(it);
}

std::vector<std::string> SessionDeadlines::take_due(int64_t now) {
    std::vector<std::string> due;
    while (!by_time_.empty() && by_time_.begin()->first <= now) {
        auto node = by_time_.extract(by_time_.begin());
        by_device_.erase(node.value().second);
        due.push_back(std::move(node.value().second));
    }
    return due;
}

}  // namespace hubsim
