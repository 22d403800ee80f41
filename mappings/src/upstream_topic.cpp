#include "hubgate/mappings/upstream_topic.hpp"

namespace hubgate::mappings {

std::string upstream_topic(const UplinkRoute& route, std::string_view hub_rid) {
    std::string topic;
    switch (route.kind) {
        case UplinkKind::telemetry:
            topic = "devices/";
            topic += route.device_id;
            topic += "/messages/events/";
            topic += route.property_bag;
            break;
        case UplinkKind::reported:
            topic = "$iothub/twin/PATCH/properties/reported/?$rid=";
            topic += hub_rid;
            break;
        case UplinkKind::twin_get:
            topic = "$iothub/twin/GET/?$rid=";
            topic += hub_rid;
            break;
        case UplinkKind::method_reply:
            topic = "$iothub/methods/res/" + std::to_string(route.status) + "/?$rid=";
            topic += hub_rid;
            break;
        case UplinkKind::ignore:
            break;
    }
    return topic;
}

}  // namespace hubgate::mappings
