#include "gateway/session/retry_policy.hpp"

#include <algorithm>
#include <cmath>
#include <mutex>
#include <random>

namespace hubgate::session {

UniformRandom default_random() {
    struct Shared {
        std::mutex mutex;
        std::mt19937_64 engine{std::random_device{}()};
        std::uniform_real_distribution<double> uniform{0.0, 1.0};
    };
    static Shared shared;
    return [] {
        std::lock_guard lock(shared.mutex);
        return shared.uniform(shared.engine);
    };
}

RetryPolicy::RetryPolicy(BackoffOptions options) : options_(options) {
    options_.min = std::max(options_.min, Millis(1));
    options_.max = std::max(options_.max, options_.min);
    options_.factor = std::max(options_.factor, 1.0);
}

Millis RetryPolicy::ceiling(unsigned attempt) const {
    // Computed in double so large attempt counts saturate at max instead of overflowing.
    const double grown =
        static_cast<double>(options_.min.count()) * std::pow(options_.factor, attempt);
    const double capped = std::min(grown, static_cast<double>(options_.max.count()));
    return Millis(static_cast<Millis::rep>(capped));
}

Millis RetryPolicy::delay(unsigned attempt, double uniform01) const {
    const double u = std::clamp(uniform01, 0.0, 1.0);
    const auto low = options_.min.count();
    const auto high = ceiling(attempt).count();
    return Millis(low + static_cast<Millis::rep>(u * static_cast<double>(high - low)));
}

}  // namespace hubgate::session
