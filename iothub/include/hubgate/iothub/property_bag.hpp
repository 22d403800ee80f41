#pragma once
// IoT Hub MQTT property bags (docs/iothub-mqtt.md): `name1=value1&name2=value2`, each name and
// value percent-encoded. The bag follows `devices/{id}/messages/events/` (telemetry) and
// `devices/{id}/messages/devicebound/` (C2D); the `?$rid=..&$version=..` queries of twin and
// method topics have the same shape and are decoded with the same code.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hubgate::iothub {

// Ordered name/value pairs, not encoded: application properties under their own names, system
// properties under their `$.` names (`$.mid`, `$.ct`, ...) and `iothub-creation-time-utc`.
using Properties = std::vector<std::pair<std::string, std::string>>;

// System properties a device may set on telemetry ($.ct, $.ce, $.mid, $.cid, $.uid,
// iothub-creation-time-utc). Any other name starting with '$' or "iothub-" is reserved.
bool is_settable_system_property(std::string_view name);
bool is_reserved_property_name(std::string_view name);

// How a bag writes the names of system properties.
enum class SystemNames {
    // A settable system name is written as is ("$.ct=..."), as the device SDKs and the MQTT
    // guide do; every other name is percent-encoded, so an application name can never decode to
    // a system one ("$.to" -> "%24.to", "a$b" -> "a%24b").
    literal,
    // Every name percent-encoded ("%24.mid=..."), as IoT Hub writes the C2D bags it delivers.
    escaped,
};

// Appends the bag to `out` (nothing for no properties), reserving once for the exact size: the
// telemetry topic is built for every message.
void append_property_bag(std::string& out, const Properties& properties,
                         SystemNames system_names = SystemNames::literal);
std::string encode_property_bag(const Properties& properties,
                                SystemNames system_names = SystemNames::literal);
// The length append_property_bag() adds.
std::size_t property_bag_size(const Properties& properties,
                              SystemNames system_names = SystemNames::literal);
// Writes the bag to `out`, which has room for property_bag_size() characters; returns the end of
// what was written. For builders that size a whole topic once.
char* write_property_bag(char* out, const Properties& properties,
                         SystemNames system_names = SystemNames::literal);

// Decodes a bag. Empty pairs ("a=1&&b=2") are skipped; a pair without '=' has an empty value;
// '+' stays '+'; names and values may use either hex case. nullopt for a malformed escape or an
// empty name. A leading '?' is not skipped: it belongs to the topic, not to the bag.
std::optional<Properties> decode_property_bag(std::string_view bag);

// The value of the first property called `name`, if any.
std::optional<std::string_view> find_property(const Properties& properties, std::string_view name);

}  // namespace hubgate::iothub
