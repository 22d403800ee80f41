#include "gateway/session/token_renewal.hpp"

#include <algorithm>

namespace hubgate::session {

Millis renewal_delay(Millis life, const RenewalOptions& options, double uniform01) {
    const double u = std::clamp(uniform01, 0.0, 1.0);
    const double share = std::clamp(options.fraction - options.jitter * u, 0.05, 0.95);
    const auto delay = Millis(static_cast<Millis::rep>(static_cast<double>(life.count()) * share));
    return std::max(delay, std::min(options.min_delay, life / 2));
}

}  // namespace hubgate::session
