#include "gateway/daemon/method_correlator.hpp"

namespace hubgate::daemon {

void MethodCorrelator::add(mappings::PendingMethod request) {
    add(std::move(request), std::chrono::steady_clock::now());
}

void MethodCorrelator::add(mappings::PendingMethod request,
                           std::chrono::steady_clock::time_point handed_at) {
    std::lock_guard lock(mutex_);
    handed_at_.emplace(std::pair(request.device_id, request.rid), handed_at);
    pending_.add(std::move(request));
}

std::optional<TakenMethod> MethodCorrelator::take_for(const mappings::UplinkRoute& reply) {
    std::lock_guard lock(mutex_);
    auto request = pending_.take_for(reply);
    if (!request) {
        return std::nullopt;
    }
    const auto handed_at = forget(*request);
    return TakenMethod{std::move(*request), handed_at};
}

std::vector<mappings::PendingMethod> MethodCorrelator::expire(
    std::chrono::steady_clock::time_point now) {
    std::lock_guard lock(mutex_);
    auto expired = pending_.expire(now);
    for (const auto& request : expired) {
        forget(request);
    }
    return expired;
}

std::size_t MethodCorrelator::size() const {
    std::lock_guard lock(mutex_);
    return pending_.size();
}

std::chrono::steady_clock::time_point MethodCorrelator::forget(
    const mappings::PendingMethod& request) {
    const auto it = handed_at_.find(std::pair(request.device_id, request.rid));
    // Every pending request was added with its time; a miss would be a broken invariant, but a
    // zero-length round trip is a safer answer than an abort on the data path.
    if (it == handed_at_.end()) {
        return std::chrono::steady_clock::now();
    }
    const auto handed_at = it->second;
    handed_at_.erase(it);
    return handed_at;
}

}  // namespace hubgate::daemon
