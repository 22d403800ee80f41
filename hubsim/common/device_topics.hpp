#pragma once
// The topics a device may publish to and the filters it may subscribe to
// (iothub-mqtt.md); everything else is a violation.

#include <optional>
#include <string>
#include <string_view>

#include "hubsim/common/property_bag.hpp"

namespace hubsim {

enum class DevicePublishKind { telemetry, twin_get, twin_patch_reported, method_response, invalid };

// What a device publish means; for `invalid`, `error` says why.
struct DevicePublish {
    DevicePublishKind kind = DevicePublishKind::invalid;
    PropertyBag properties;  // telemetry only
    std::string request_id;  // twin and method response: $rid
    int status = 0;          // method response
    std::string error;
};

DevicePublish classify_device_publish(std::string_view device_id, std::string_view topic);

enum class DeviceSubscription { c2d, twin_responses, desired_patches, methods };

// nullopt when the filter is not one of the documented ones for this device.
std::optional<DeviceSubscription> classify_device_subscription(std::string_view device_id,
                                                               std::string_view filter);

// True when the hub may deliver `topic` to this device (the downlink topic families).
bool is_device_downlink_topic(std::string_view device_id, std::string_view topic);

// devices/{id}/messages/devicebound/{bag}, every name escaped as IoT Hub writes it. The other
// downlink topics are built with hubgate/iothub/hub_topics.hpp directly.
std::string c2d_topic(std::string_view device_id, const PropertyBag& properties);

}  // namespace hubsim
