#pragma once
// The C event structs handed to plugin hooks, and the host-side setters behind their function
// pointers. A setter copies what the plugin passes into the event's output; it never throws
// (it runs inside the plugin's call) and records its own failure so the call can be rejected
// even if the plugin ignores the return code.

#include <hubgate/plugin.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hubgate/mappings/message_hook.hpp"

namespace hubgate::plugins::detail {

// Results of a derive-device-id call.
struct DeviceIdCall {
    DeviceIdCall(std::string_view local_topic, std::string_view payload);
    DeviceIdCall(const DeviceIdCall&) = delete;  // the event points back at this object
    DeviceIdCall& operator=(const DeviceIdCall&) = delete;
    hubgate_device_id_event event{};
    std::optional<std::string> new_device_id;
    std::optional<std::string> setter_error;
};

// Results of a transform-uplink call. Properties are copied only when the plugin changes one.
struct UplinkCall {
    UplinkCall(std::string_view device_id, std::string_view payload,
               const mappings::Properties& properties);
    UplinkCall(const UplinkCall&) = delete;  // the event points back at this object
    UplinkCall& operator=(const UplinkCall&) = delete;
    hubgate_uplink_event event{};
    const mappings::Properties& original;
    std::vector<hubgate_property> views;
    std::optional<std::string> new_payload;
    std::optional<mappings::Properties> new_properties;
    std::optional<std::string> setter_error;
};

// Results of a transform-downlink call.
struct DownlinkCall {
    DownlinkCall(std::string_view device_id, std::string_view kind, std::string_view payload);
    DownlinkCall(const DownlinkCall&) = delete;  // the event points back at this object
    DownlinkCall& operator=(const DownlinkCall&) = delete;
    hubgate_downlink_event event{};
    std::optional<std::string> new_payload;
    std::optional<std::string> setter_error;
};

}  // namespace hubgate::plugins::detail
