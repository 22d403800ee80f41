#include "gateway/daemon/method_correlator.hpp"

namespace hubgate::daemon {

void MethodCorrelator::add(mappings::PendingMethod request) {
    std::lock_guard lock(mutex_);
    pending_.add(std::move(request));
}

std::optional<mappings::PendingMethod> MethodCorrelator::take_for(
    const mappings::UplinkRoute& reply) {
    std::lock_guard lock(mutex_);
    return pending_.take_for(reply);
}

std::vector<mappings::PendingMethod> MethodCorrelator::expire(
    std::chrono::steady_clock::time_point now) {
    std::lock_guard lock(mutex_);
    return pending_.expire(now);
}

std::size_t MethodCorrelator::size() const {
    std::lock_guard lock(mutex_);
    return pending_.size();
}

}  // namespace hubgate::daemon
