#pragma once
// When a session renews its SAS token: at about 80% of the token's life, spread by jitter so a
// thousand sessions started together do not all reconnect in the same second.

#include <chrono>

#include "gateway/session/clock.hpp"

namespace hubgate::session {

// Renewal timing: renew after ttl * (fraction - jitter * u) for a uniform u in [0, 1),
// never sooner than `min_delay`.
struct RenewalOptions {
    double fraction = 0.8;
    double jitter = 0.1;
    Millis min_delay{1000};
};

// Delay from issuing a token valid for `life` until renewing it (pure: `uniform01` is the draw).
Millis renewal_delay(Millis life, const RenewalOptions& options, double uniform01);

}  // namespace hubgate::session
