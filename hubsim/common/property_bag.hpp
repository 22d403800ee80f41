#pragma once
// IoT Hub MQTT property bags: "name=value&name=value", names and values URL-encoded. Names
// starting with "$." (and iothub-creation-time-utc) are system properties.

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace hubsim {

// A decoded property bag, split into system and application properties.
struct PropertyBag {
    std::map<std::string, std::string> system;
    std::map<std::string, std::string> application;
};

bool is_system_property(std::string_view name);

// nullopt when an escape is malformed or a field has no name.
std::optional<PropertyBag> parse_property_bag(std::string_view bag);

// Encodes system properties first, then application ones; each name and value URL-encoded
// (so '/' becomes %2F, which SDKs need because they split topics on '/').
std::string encode_property_bag(const PropertyBag& bag);

}  // namespace hubsim
