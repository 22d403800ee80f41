#pragma once
// Topic names of the IoT Hub MQTT device dialect (docs/iothub-mqtt.md): building the
// topics a device publishes to and parsing the ones the hub delivers. Pure string work.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace hubgate::session {

// A property bag in order: (name, value) pairs, not encoded.
using Properties = std::vector<std::pair<std::string, std::string>>;

// "name1=value1&name2=value2", names and values percent-encoded (system names keep "$.").
std::string encode_property_bag(const Properties& properties);
// Decodes a property bag; nullopt on a malformed escape. A name without '=' has an empty value.
std::optional<Properties> decode_property_bag(std::string_view bag);

// "{hostname}/{deviceId}/?api-version={v}[&model-id={m}]" (the model id is not encoded, as SDKs
// do).
std::string mqtt_username(std::string_view hostname, std::string_view device_id,
                          std::string_view api_version, std::string_view model_id);

std::string telemetry_topic(std::string_view device_id, const Properties& properties);
std::string twin_get_topic(std::string_view rid);
std::string twin_patch_reported_topic(std::string_view rid);
std::string method_response_topic(int status, std::string_view rid);

std::string c2d_filter(std::string_view device_id);
inline constexpr std::string_view kTwinResponseFilter = "$iothub/twin/res/#";
inline constexpr std::string_view kDesiredPatchFilter = "$iothub/twin/PATCH/properties/desired/#";
inline constexpr std::string_view kMethodRequestFilter = "$iothub/methods/POST/#";

// An answer to a twin GET or PATCH: $iothub/twin/res/{status}/?$rid={rid}[&$version={v}].
struct TwinResponseTopic {
    int status = 0;
    std::string rid;
    std::optional<int64_t> version;
};
// A desired-properties patch: $iothub/twin/PATCH/properties/desired/?$version={v}.
struct DesiredPatchTopic {
    std::optional<int64_t> version;
};
// A direct method call: $iothub/methods/POST/{name}/?$rid={rid}.
struct MethodRequestTopic {
    std::string name;
    std::string rid;
};
// A cloud-to-device message: devices/{id}/messages/devicebound/[{property bag}].
struct C2dTopic {
    Properties properties;
};
// Anything else (or a malformed instance of the above), with a reason for the log.
struct UnknownTopic {
    std::string reason;
};

using DownlinkTopic =
    std::variant<TwinResponseTopic, DesiredPatchTopic, MethodRequestTopic, C2dTopic, UnknownTopic>;

// Classifies a topic the hub delivered to `device_id`.
DownlinkTopic parse_downlink_topic(std::string_view device_id, std::string_view topic);

}  // namespace hubgate::session
