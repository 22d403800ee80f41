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
    return out;
}

}  // namespace hubgate::control
