#pragma once
// A token bucket for new device connections: `rate` per second with a burst of max(1, rate),
// as the hub throttles connection storms. A rate of 0 means unlimited.

#include <chrono>

namespace hubsim {

// Not thread-safe: the hub's lock guards it.
class ConnectRateLimiter {
  public:
    using Clock = std::chrono::steady_clock;

    void set_rate(double per_second, Clock::time_point now);
    double rate() const { return rate_; }
    // True when a connection may proceed now (and takes a token).
    bool try_acquire(Clock::time_point now);

  private:
    double rate_ = 0;
    double tokens_ = 0;
    Clock::time_point last_{};
};

}  // namespace hubsim
