#pragma once
// Paces an activity (new connections, twin reads, twin updates) to a rate, with a burst
// allowance; the hub's published limits are per second across all devices.

#include "gateway/session/clock.hpp"

namespace hubgate::session {

// A token bucket: `rate` tokens per second, at most `burst` saved up. A rate of 0 is unlimited.
// slow_down() lowers the rate for a while (the hub answered 429 or refused for load).
class TokenBucket {
  public:
    TokenBucket(double rate, double burst, SteadyTime now);

    // Takes one token if one is available now.
    bool try_take(SteadyTime now);
    // The earliest time a token will be available (now when one is).
    SteadyTime next_available(SteadyTime now);
    // Multiplies the rate by `factor` (0 < factor <= 1) until `until`; repeated calls compound
    // down to a floor of 1/64 of the configured rate.
    void slow_down(double factor, SteadyTime until, SteadyTime now);

    double configured_rate() const { return rate_; }
    double current_rate(SteadyTime now) const;
    bool unlimited() const { return rate_ <= 0; }

  private:
    void refill(SteadyTime now);

    double rate_;
    double burst_;
    double tokens_;
    double slow_factor_ = 1.0;
    SteadyTime slow_until_{};
    SteadyTime last_;
};

}  // namespace hubgate::session
