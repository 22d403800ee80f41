#pragma once
// What a device sends to IoT Hub (docs/iothub-mqtt.md): its CONNECT user name, the topics it
// publishes to and the filters it subscribes to. Request ids are percent-encoded.

#include <cstddef>
#include <string>
#include <string_view>

#include "hubgate/iothub/property_bag.hpp"

namespace hubgate::iothub {

// What every device topic, both ways, starts with.
inline constexpr std::string_view kDevicesPrefix = "devices/";

// "{hostname}/{deviceId}/?api-version={v}[&model-id={m}]" (the model id is not encoded, as the
// SDKs do).
std::string mqtt_username(std::string_view hostname, std::string_view device_id,
                          std::string_view api_version, std::string_view model_id);

// devices/{id}/messages/events/{bag}: one allocation, reserved for the exact size.
std::string telemetry_topic(std::string_view device_id, const Properties& properties);
// The same with `$.mid={message_id}` after the properties, unless they carry a $.mid of their own
// or `message_id` is empty (the spool's id, without a property vector to hold it).
std::string telemetry_topic(std::string_view device_id, const Properties& properties,
                            std::string_view message_id);
// The same, appended to `out` (which is reserved once for what is added).
void append_telemetry_topic(std::string& out, std::string_view device_id,
                            const Properties& properties);
// devices/{id}/messages/events/{bag} for a bag already encoded (append_property_bag()).
std::string telemetry_topic_with_bag(std::string_view device_id, std::string_view encoded_bag);

// $iothub/twin/GET/?$rid={rid}
std::string twin_get_topic(std::string_view rid);
// $iothub/twin/PATCH/properties/reported/?$rid={rid}
std::string twin_patch_reported_topic(std::string_view rid);
// $iothub/methods/res/{status}/?$rid={rid}
std::string method_response_topic(int status, std::string_view rid);

// devices/{id}/messages/devicebound/#
std::string c2d_filter(std::string_view device_id);
inline constexpr std::string_view kTwinResponseFilter = "$iothub/twin/res/#";
inline constexpr std::string_view kDesiredPatchFilter = "$iothub/twin/PATCH/properties/desired/#";
inline constexpr std::string_view kMethodRequestFilter = "$iothub/methods/POST/#";

}  // namespace hubgate::iothub
