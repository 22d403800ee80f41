#pragma once
// The IoT Hub api-versions hubsim accepts, in a device's MQTT username and in the service REST
// API's `api-version` query parameter. The real hub refuses a version it does not know (REST:
// 400 {"Message":"ErrorCode:InvalidProtocolVersion;BadRequest","ExceptionMessage":"Tracking
// ID:..."} with header iothub-errorcode: InvalidProtocolVersion); hubsim accepts the versions
// IoT Hub's docs and the official SDKs have sent, so a typo or an invented date fails here as
// it would against Azure.

#include <string_view>

namespace hubsim {

// True for a known IoT Hub data-plane api-version ("2021-04-12", ...).
bool is_hub_api_version(std::string_view version);

}  // namespace hubsim
