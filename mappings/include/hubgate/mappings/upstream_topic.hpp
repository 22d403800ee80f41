#pragma once
// The IoT Hub topic an UplinkRoute is published to, given the request id the session picked
// (percent-encoded in the topic). The same builders as the session's (hubgate/iothub/).

#include <string>
#include <string_view>

#include "hubgate/mappings/route.hpp"

namespace hubgate::mappings {

// telemetry: devices/{id}/messages/events/{bag}; reported: $iothub/twin/PATCH/properties/
// reported/?$rid={hub_rid}; twin_get: $iothub/twin/GET/?$rid={hub_rid}; method_reply:
// $iothub/methods/res/{status}/?$rid={hub_rid}; ignore: "".
std::string upstream_topic(const UplinkRoute& route, std::string_view hub_rid);

}  // namespace hubgate::mappings
