// The hub's view of a decoded property bag; decoding and encoding are the IoT Hub library's.
#include "hubsim/common/property_bag.hpp"

namespace hubsim {

bool is_system_property(std::string_view name) {
    return name.starts_with("$.") || name == "iothub-creation-time-utc";
}

std::optional<PropertyBag> parse_property_bag(std::string_view bag) {
    auto decoded = hubgate::iothub::decode_property_bag(bag);
    if (!decoded)
        return std::nullopt;
    PropertyBag parsed;
    for (auto& [name, value] : *decoded) {
        auto& target = is_system_property(name) ? parsed.system : parsed.application;
        target[std::move(name)] = std::move(value);
    }
    return parsed;
}

hubgate::iothub::Properties to_properties(const PropertyBag& bag) {
    hubgate::iothub::Properties properties;
    properties.reserve(bag.system.size() + bag.application.size());
    for (const auto* part : {&bag.system, &bag.application}) {
        properties.insert(properties.end(), part->begin(), part->end());
    }
    return properties;
}

}  // namespace hubsim
