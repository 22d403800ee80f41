#pragma once
// The Device Provisioning Service's MQTT topics (api-version 2019-03-31), both sides in one place
// so each is the other's inverse (hubsim serves them, the gateway's registration client uses
// them):
//   subscribe  $dps/registrations/res/#
//   publish    $dps/registrations/PUT/iotdps-register/?$rid={rid}
//              $dps/registrations/GET/iotdps-get-operationstatus/?$rid={rid}&operationId={id}
//   answers    $dps/registrations/res/{status}/?$rid={rid}[&retry-after={seconds}]

#include <optional>
#include <string>
#include <string_view>

namespace hubgate::iothub {

inline constexpr std::string_view kDpsResponseFilter = "$dps/registrations/res/#";

// ---- device side: the requests, and the answers they get ----

std::string dps_register_topic(std::string_view request_id);
std::string dps_operation_status_topic(std::string_view request_id, std::string_view operation_id);

struct DpsResponseTopic {
    int status = 0;                          // HTTP-like: 200, 202, 429, 5xx...
    std::string request_id;                  // $rid, decoded
    std::optional<int> retry_after_seconds;  // absent, or not a number from 0 to 86400
};

// nullopt when `topic` is not a DPS answer (another prefix, no 3-digit status, no $rid).
std::optional<DpsResponseTopic> parse_dps_response_topic(std::string_view topic);

// ---- service side: classifying requests, building answers ----

enum class DpsRequestKind { invalid, register_device, operation_status };

struct DpsRequest {
    DpsRequestKind kind = DpsRequestKind::invalid;
    std::string request_id;    // $rid
    std::string operation_id;  // operation_status only
    std::string error;         // why it is invalid
};

DpsRequest classify_dps_publish(std::string_view topic);

std::string dps_response_topic(int status, std::string_view request_id,
                               std::optional<int> retry_after_seconds);

}  // namespace hubgate::iothub
