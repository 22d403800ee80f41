#pragma once
// When to try again: capped exponential back-off with full jitter (one place decides, as in the
// Azure IoT C SDK's retry control). Used for reconnects and for twin operations answered 429/5xx.

#include <chrono>
#include <functional>

#include "gateway/session/clock.hpp"

namespace hubgate::session {

// A uniform random number in [0, 1). Injected so tests can pin the jitter.
using UniformRandom = std::function<double()>;

// A process-wide uniform source (a seeded Mersenne twister behind a mutex).
UniformRandom default_random();

// Back-off bounds: attempt n (from 0) waits a uniform time in [min, min(max, min * factor^n)].
// The floor of `min` keeps even an unlucky draw from turning into a hot loop.
struct BackoffOptions {
    Millis min{1000};
    Millis max{std::chrono::minutes(5)};
    double factor = 2.0;
};

// Capped exponential back-off with full jitter (pure: the random draw is passed in).
class RetryPolicy {
  public:
    explicit RetryPolicy(BackoffOptions options = {});

    // The upper bound of the jitter window for attempt `attempt` (0 = first retry).
    Millis ceiling(unsigned attempt) const;
    // The wait before retry number `attempt`, for a draw `uniform01` in [0, 1).
    Millis delay(unsigned attempt, double uniform01) const;

    const BackoffOptions& options() const { return options_; }

  private:
    BackoffOptions options_;
};

// Counts consecutive failures of one activity and hands out the next wait.
class Backoff {
  public:
    explicit Backoff(RetryPolicy policy) : policy_(policy) {}

    // The wait before the next attempt; each call counts one more failure.
    Millis next(double uniform01) { return policy_.delay(failures_++, uniform01); }
    void reset() { failures_ = 0; }
    unsigned failures() const { return failures_; }

  private:
    RetryPolicy policy_;
    unsigned failures_ = 0;
};

}  // namespace hubgate::session
