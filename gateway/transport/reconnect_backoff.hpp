#pragma once
// Capped exponential back-off with decorrelated jitter (as mosquitto's bridge does): each delay
// is random between `min` and three times the previous one, never above `max`, so a fleet of
// gateways restarting together does not reconnect in lock step.

#include <chrono>
#include <random>

namespace hubgate::transport {

// The delay before the next connection attempt; reset() after a successful connection.
class ReconnectBackoff {
  public:
    ReconnectBackoff(std::chrono::milliseconds min, std::chrono::milliseconds max);

    std::chrono::milliseconds next();
    void reset() { previous_ = min_; }

  private:
    std::chrono::milliseconds min_;
    std::chrono::milliseconds max_;
    std::chrono::milliseconds previous_;
    std::minstd_rand random_;
};

}  // namespace hubgate::transport
