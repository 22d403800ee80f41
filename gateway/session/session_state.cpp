#include "gateway/session/session_state.hpp"

namespace hubgate::session {

std::string_view to_string(SessionState state) {
    switch (state) {
        case SessionState::Idle:
            return "idle";
        case SessionState::WaitingToConnect:
            return "waiting";
        case SessionState::Connecting:
            return "connecting";
        case SessionState::Connected:
            return "connected";
        case SessionState::BackingOff:
            return "backing-off";
        case SessionState::Refused:
            return "refused";
        case SessionState::Replaced:
            return "replaced";
        case SessionState::Closed:
            return "closed";
    }
    return "unknown";
}

}  // namespace hubgate::session
