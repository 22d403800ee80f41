#include "gateway/session/token_bucket.hpp"

#include <algorithm>
#include <chrono>

namespace hubgate::session {

namespace {
// Refills add up fractions of a token; rounding must not make a whole token look short.
constexpr double kWhole = 1.0 - 1e-9;
}  // namespace

TokenBucket::TokenBucket(double rate, double burst, SteadyTime now)
    : rate_(std::max(rate, 0.0)), burst_(std::max(burst, 1.0)), tokens_(burst_), last_(now) {}

double TokenBucket::current_rate(SteadyTime now) const {
    return now < slow_until_ ? rate_ * slow_factor_ : rate_;
}

void TokenBucket::refill(SteadyTime now) {
    if (now <= last_) {
        return;
    }
    const double seconds = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(burst_, tokens_ + seconds * current_rate(now));
    last_ = now;
}

bool TokenBucket::try_take(SteadyTime now) {
    if (unlimited()) {
        return true;
    }
    refill(now);
    if (tokens_ < kWhole) {
        return false;
    }
    tokens_ -= 1.0;
    return true;
}

SteadyTime TokenBucket::next_available(SteadyTime now) {
    if (unlimited()) {
        return now;
    }
    refill(now);
    if (tokens_ >= kWhole) {
        return now;
    }
    const double seconds = (1.0 - tokens_) / current_rate(now);
    // Rounded up: a wait rounded down to the clock's tick would wake before the token is whole,
    // and the loop waiting on it would spin until it is.
    return now + std::chrono::ceil<SteadyTime::duration>(std::chrono::duration<double>(seconds));
}

void TokenBucket::slow_down(double factor, SteadyTime until, SteadyTime now) {
    if (unlimited()) {
        return;
    }
    refill(now);
    factor = std::clamp(factor, 1.0 / 64, 1.0);
    slow_factor_ = now < slow_until_ ? std::max(slow_factor_ * factor, 1.0 / 64) : factor;
    slow_until_ = std::max(slow_until_, until);
    // Saved-up tokens would let a burst through right after the hub complained.
    tokens_ = std::min(tokens_, 1.0);
}

}  // namespace hubgate::session
