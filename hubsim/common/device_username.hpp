#pragma once
// The IoT Hub MQTT username: "{hostname}/{deviceId}/?api-version=...&more=..." with the query
// parameters in any order (SDKs append DeviceClientType and an unencoded model-id).

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace hubsim {

// A username split into its parts; query values are URL-decoded where they decode.
struct DeviceUsername {
    std::string hostname;
    std::string device_id;
    std::map<std::string, std::string> query;
};

// nullopt when the shape is wrong or api-version is missing.
std::optional<DeviceUsername> parse_device_username(std::string_view username);

}  // namespace hubsim
