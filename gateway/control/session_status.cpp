// The adapter from the session manager's snapshot, kept apart so that the rest of the control
// library does not depend on the session module.
#include "gateway/control/status_snapshot.hpp"
#include "gateway/session/session_state.hpp"

namespace hubgate::control {

SessionStatus to_session_status(const session::SessionSnapshot& snapshot) {
    SessionStatus out;
    out.device_id = snapshot.device_id;
    out.state = std::string(session::to_string(snapshot.state));
    out.since = snapshot.connected_since;
    out.backoff_until = snapshot.retry_at;
    out.reason = snapshot.reason;
    out.token_expiry = snapshot.token_expiry;
    out.state_since = snapshot.state_since;
    out.last_uplink = snapshot.last_uplink;
    out.last_downlink = snapshot.last_downlink;
    out.hub = snapshot.hub;
    const auto& c = snapshot.counters;
    out.counters = {{"connect_attempts", c.connect_attempts},
                    {"connects", c.connects},
                    {"connect_failures", c.connect_failures},
                    {"refusals", c.refusals},
                    {"connects_throttled", c.connects_throttled},
                    {"connection_losses", c.connection_losses},
                    {"renewals", c.renewals},
                    {"telemetry_sent", c.telemetry_sent},
                    {"telemetry_acked", c.telemetry_acked},
                    {"telemetry_failed", c.telemetry_failed},
                    {"c2d_received", c.c2d_received},
                    {"desired_received", c.desired_received},
                    {"methods_received", c.methods_received},
                    {"methods_answered", c.methods_answered},
                    {"methods_unmapped", c.methods_unmapped},
                    {"twin_requests", c.twin_requests},
                    {"twin_retries", c.twin_retries},
                    {"twin_throttled", c.twin_throttled},
                    {"twin_failed", c.twin_failed},
                    {"downlink_dropped", c.downlink_dropped}};
    return out;
}

}  // namespace hubgate::control
