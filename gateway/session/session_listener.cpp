#include "gateway/session/session_listener.hpp"

namespace hubgate::session {

std::string_view to_string(PublishStatus status) {
    switch (status) {
        case PublishStatus::Acked:
            return "acked";
        case PublishStatus::NotConnected:
            return "not-connected";
        case PublishStatus::ConnectionLost:
            return "connection-lost";
        case PublishStatus::Rejected:
            return "rejected";
        case PublishStatus::Closed:
            return "closed";
    }
    return "unknown";
}

}  // namespace hubgate::session
