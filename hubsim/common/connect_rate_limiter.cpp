// Token bucket refill and take.
#include "hubsim/common/connect_rate_limiter.hpp"

#include <algorithm>

namespace hubsim {

void ConnectRateLimiter::set_rate(double per_second, Clock::time_point now) {
    rate_ = std::max(0.0, per_second);
    tokens_ = std::max(1.0, rate_);
    last_ = now;
}

bool ConnectRateLimiter::try_acquire(Clock::time_point now) {
    if (rate_ <= 0)
        return true;
    double elapsed = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(std::max(1.0, rate_), tokens_ + elapsed * rate_);
    last_ = now;
    if (tokens_ < 1.0)
        return false;
    tokens_ -= 1.0;
    return true;
}

}  // namespace hubsim
