#pragma once
// IoT Hub MQTT property bags: `name1=value1&name2=value2`, names and values percent-encoded
// (everything but RFC 3986 unreserved characters, so '/', '&', '=', '%', spaces and non-ASCII
// bytes are always encoded). System properties keep their `$.` names literally.

#include <string>
#include <string_view>
#include <variant>

#include "hubgate/mappings/message_hook.hpp"

namespace hubgate::mappings {

// Why a property bag could not be decoded.
struct PropertyBagError {
    std::string message;
};

// Appends the percent-encoding of `text` to `out` (upper-case hex).
void percent_encode(std::string_view text, std::string& out);
// Decodes %XX escapes; false on a malformed escape. '+' stays '+'.
bool percent_decode(std::string_view text, std::string& out);

// Encodes properties in order. An empty list gives "".
std::string encode_property_bag(const Properties& properties);
void append_property_bag(const Properties& properties, std::string& out);
// Decodes a bag; a leading '?' is skipped (twin/method topics). Empty pairs are skipped, a pair
// without '=' has an empty value; an empty name or a malformed escape is an error.
std::variant<Properties, PropertyBagError> decode_property_bag(std::string_view bag);

// System property names a rule or hook may set on telemetry ($.ct, $.ce, $.mid, $.cid, $.uid,
// iothub-creation-time-utc). Anything else starting with '$' or "iothub-" is reserved.
bool is_settable_system_property(std::string_view name);
bool is_reserved_property_name(std::string_view name);

}  // namespace hubgate::mappings
