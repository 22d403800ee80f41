#pragma once
// What IoT Hub delivers to a device (docs/iothub-mqtt.md): building those topics (hubsim, the
// emulated hub) and parsing them (the device sessions), in one place so each is the other's
// inverse.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "hubgate/iothub/property_bag.hpp"

namespace hubgate::iothub {

// The prefixes of the downlink topic families (what the filters in device_topics.hpp match).
inline constexpr std::string_view kTwinResponsePrefix = "$iothub/twin/res/";
inline constexpr std::string_view kDesiredPatchPrefix = "$iothub/twin/PATCH/properties/desired/";
inline constexpr std::string_view kMethodRequestPrefix = "$iothub/methods/POST/";

// devices/{id}/messages/devicebound/{bag}, every name escaped as the hub writes it.
std::string c2d_topic(std::string_view device_id, const Properties& properties);
// $iothub/twin/res/{status}/?$rid={rid}[&$version={v}]
std::string twin_response_topic(int status, std::string_view rid, std::optional<int64_t> version);
// $iothub/twin/PATCH/properties/desired/?$version={v}
std::string desired_patch_topic(int64_t version);
// $iothub/methods/POST/{name}/?$rid={rid}; the name is written as is (the hub restricts method
// names to characters that need no encoding).
std::string method_request_topic(std::string_view method_name, std::string_view rid);

// An answer to a twin GET or PATCH.
struct TwinResponseTopic {
    int status = 0;
    std::string rid;
    std::optional<int64_t> version;
};
// A desired-properties patch (the version is also in the body, where the SDKs read it).
struct DesiredPatchTopic {
    std::optional<int64_t> version;
};
// A direct method call.
struct MethodRequestTopic {
    std::string name;
    std::string rid;
};
// A cloud-to-device message with its properties (system ones under their `$.` names).
struct C2dTopic {
    Properties properties;
};
// Anything else (or a malformed instance of the above), with a reason for the log.
struct UnknownTopic {
    std::string reason;
};

using DownlinkTopic =
    std::variant<TwinResponseTopic, DesiredPatchTopic, MethodRequestTopic, C2dTopic, UnknownTopic>;

// Classifies a topic the hub delivered to `device_id`. A request id must be present and is
// decoded; a `$version` that is not an integer is left out.
DownlinkTopic parse_downlink_topic(std::string_view device_id, std::string_view topic);

}  // namespace hubgate::iothub
