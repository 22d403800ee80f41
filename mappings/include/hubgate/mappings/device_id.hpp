#pragma once
// IoT Hub's device id rules: 1..128 characters of ASCII letters, digits and - . % _ * ? ! ( ) ,
// : = @ $ '.

#include <optional>
#include <string>
#include <string_view>

namespace hubgate::mappings {

inline constexpr std::size_t kMaxDeviceIdLength = 128;

// nullopt when valid, otherwise why not (e.g. "character '/' at offset 3 is not allowed").
std::optional<std::string> device_id_error(std::string_view id);
inline bool is_valid_device_id(std::string_view id) {
    return !device_id_error(id).has_value();
}

}  // namespace hubgate::mappings
