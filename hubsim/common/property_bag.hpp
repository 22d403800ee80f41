#pragma once
// Property bags as hubsim keeps them: split into system properties (names starting with "$.", and
// iothub-creation-time-utc) and application ones, each sorted by name. The codec itself is the
// IoT Hub library's (hubgate/iothub/property_bag.hpp); this is only the hub's view of its result.

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "hubgate/iothub/property_bag.hpp"

namespace hubsim {

// A decoded property bag, split into system and application properties.
struct PropertyBag {
    std::map<std::string, std::string> system;
    std::map<std::string, std::string> application;
};

bool is_system_property(std::string_view name);

// nullopt when an escape is malformed or a field has no name. A name given twice keeps its last
// value.
std::optional<PropertyBag> parse_property_bag(std::string_view bag);

// System properties first, then application ones, for encoding (e.g. as a C2D topic's bag).
hubgate::iothub::Properties to_properties(const PropertyBag& bag);

}  // namespace hubsim
