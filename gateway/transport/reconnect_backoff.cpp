#include "gateway/transport/reconnect_backoff.hpp"

#include <algorithm>

namespace hubgate::transport {

ReconnectBackoff::ReconnectBackoff(std::chrono::milliseconds min, std::chrono::milliseconds max)
    : min_(std::max(min, std::chrono::milliseconds{1})),
      max_(std::max(max, min_)),
      previous_(min_),
      random_(std::random_device{}()) {}

std::chrono::milliseconds ReconnectBackoff::next() {
    const auto upper = std::min(max_.count(), previous_.count() * 3);
    std::uniform_int_distribution<std::chrono::milliseconds::rep> pick(
        min_.count(), std::max(upper, min_.count()));
    previous_ = std::chrono::milliseconds{pick(random_)};
    return previous_;
}

}  // namespace hubgate::transport
