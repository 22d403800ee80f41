#include "downlink_values.hpp"

#include <cstdio>

namespace hubgate::mappings {

namespace {

constexpr std::size_t kShownBytes = 64;

// The value as a log line can show it: printable ASCII as is, other bytes as \xNN, clipped.
std::string printable(std::string_view value) {
    std::string out;
    for (const char c : value.substr(0, kShownBytes)) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte >= 0x20 && byte < 0x7f && c != '\\' && c != '"') {
            out += c;
            continue;
        }
        char escaped[8];
        std::snprintf(escaped, sizeof escaped, "\\x%02X", static_cast<unsigned>(byte));
        out += escaped;
    }
    if (value.size() > kShownBytes)
        out += "...";
    return out;
}

// What the first refused character of `value` would do to the topic; nullptr when none.
const char* refused_because(std::string_view value, LeadingDollar dollar) {
    if (dollar == LeadingDollar::refused && value.starts_with('$'))
        return "starts with '$' (a broker system topic)";
    for (const char c : value) {
        if (c == '/')
            return "contains '/' (it would add a topic level)";
        if (c == '+' || c == '#')
            return "contains an MQTT wildcard ('+' or '#')";
        if (c == '\0')
            return "contains a NUL byte";
    }
    return nullptr;
}

}  // namespace

std::optional<std::string> downlink_value_problem(std::string_view name, std::string_view value,
                                                  LeadingDollar dollar) {
    const char* why = refused_because(value, dollar);
    if (why == nullptr)
        return std::nullopt;
    return "{" + std::string(name) + "} = \"" + printable(value) + "\" " + why +
           "; a value from the cloud must fill one topic level";
}

}  // namespace hubgate::mappings
