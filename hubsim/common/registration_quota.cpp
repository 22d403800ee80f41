// Refill on use; the retry-after is rounded up so a client that waits it finds a token.
#include "hubsim/common/registration_quota.hpp"

#include <algorithm>
#include <cmath>

namespace hubsim {

void RegistrationQuota::set_per_minute(double per_minute, Clock::time_point now) {
    per_minute_ = std::max(0.0, per_minute);
    tokens_ = std::max(1.0, per_minute_);
    last_ = now;
}

std::optional<int> RegistrationQuota::try_acquire(Clock::time_point now) {
    if (per_minute_ <= 0)
        return std::nullopt;
    const double per_second = per_minute_ / 60.0;
    const double capacity = std::max(1.0, per_minute_);
    const double elapsed = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(capacity, tokens_ + elapsed * per_second);
    last_ = now;
    if (tokens_ >= 1.0) {
        tokens_ -= 1.0;
        return std::nullopt;
    }
    return std::max(1, static_cast<int>(std::ceil((1.0 - tokens_) / per_second)));
}

}  // namespace hubsim
