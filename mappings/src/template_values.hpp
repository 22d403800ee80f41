#pragma once
// Helpers for rendering templates: creation times, remembered captures, local topic checks.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hubgate/mappings/route.hpp"

namespace hubgate::mappings {

// Formats a time as IoT Hub's iothub-creation-time-utc: 2026-11-26T11:31:23.123Z.
std::string format_creation_time(std::chrono::system_clock::time_point time);

// Finds a capture value by name in remembered captures.
inline std::optional<std::string_view> find_capture(
    const std::vector<std::pair<std::string, std::string>>& captures, std::string_view name) {
    for (const auto& [capture_name, value] : captures) {
        if (capture_name == name)
            return std::string_view(value);
    }
    return std::nullopt;
}

// Why a rendered local topic cannot be published (empty, a wildcard or NUL in it, a '$' system
// topic, too long); nullopt when it can.
std::optional<std::string> local_topic_error(std::string_view topic);

}  // namespace hubgate::mappings
