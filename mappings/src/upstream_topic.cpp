// Which IoT Hub topic a route goes to, built by the IoT Hub library like the session's publish.
#include "hubgate/mappings/upstream_topic.hpp"

#include "hubgate/iothub/device_topics.hpp"

namespace hubgate::mappings {

std::string upstream_topic(const UplinkRoute& route, std::string_view hub_rid) {
    switch (route.kind) {
        case UplinkKind::telemetry:
            return iothub::telemetry_topic(route.device_id, route.properties);
        case UplinkKind::reported:
            return iothub::twin_patch_reported_topic(hub_rid);
        case UplinkKind::twin_get:
            return iothub::twin_get_topic(hub_rid);
        case UplinkKind::method_reply:
            return iothub::method_response_topic(route.status, hub_rid);
        case UplinkKind::ignore:
            break;
    }
    return {};
}

}  // namespace hubgate::mappings
