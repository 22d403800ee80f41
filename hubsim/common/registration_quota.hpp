#pragma once
// DPS's per-minute registration quota as a token bucket: `per_minute` registrations refill
// evenly over a minute, with a burst of as many. Not thread-safe (the owner's lock guards it).

#include <chrono>
#include <optional>

namespace hubsim {

class RegistrationQuota {
  public:
    using Clock = std::chrono::steady_clock;

    // 0 = unlimited. Starts full.
    void set_per_minute(double per_minute, Clock::time_point now);
    double per_minute() const { return per_minute_; }
    // nullopt when a registration may proceed now (and takes it from the bucket); otherwise the
    // whole seconds (at least 1) until one will be available: the retry-after to answer with.
    std::optional<int> try_acquire(Clock::time_point now);

  private:
    double per_minute_ = 0;
    double tokens_ = 0;
    Clock::time_point last_{};
};

}  // namespace hubsim
