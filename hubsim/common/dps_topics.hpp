#pragma once
// The DPS MQTT topics (api-version 2019-03-31):
//   subscribe  $dps/registrations/res/#
//   publish    $dps/registrations/PUT/iotdps-register/?$rid={rid}
//              $dps/registrations/GET/iotdps-get-operationstatus/?$rid={rid}&operationId={id}
//   answers    $dps/registrations/res/{status}/?$rid={rid}[&retry-after={seconds}]

#include <optional>
#include <string>
#include <string_view>

namespace hubsim {

inline constexpr std::string_view kDpsResponseFilter = "$dps/registrations/res/#";

enum class DpsRequestKind { invalid, register_device, operation_status };

struct DpsRequest {
    DpsRequestKind kind = DpsRequestKind::invalid;
    std::string request_id;    // $rid
    std::string operation_id;  // operation_status only
    std::string error;         // why it is invalid
};

DpsRequest classify_dps_publish(std::string_view topic);

std::string dps_response_topic(int status, const std::string& request_id,
                               std::optional<int> retry_after_seconds);

}  // namespace hubsim
