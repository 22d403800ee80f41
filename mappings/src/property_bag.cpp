#include "hubgate/mappings/property_bag.hpp"

#include <array>

namespace hubgate::mappings {

namespace {

constexpr char kHexDigits[] = "0123456789ABCDEF";

bool is_unreserved(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

int hex_value(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

// Settable system properties, written with their literal `$.` names.
constexpr std::array<std::string_view, 6> kSettableSystemProperties = {
    "$.ct", "$.ce", "$.mid", "$.cid", "$.uid", "iothub-creation-time-utc"};

}  // namespace

void percent_encode(std::string_view text, std::string& out) {
    for (char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if (is_unreserved(c)) {
            out += ch;
        } else {
            out += '%';
            out += kHexDigits[c >> 4];
            out += kHexDigits[c & 0xf];
        }
    }
}

bool percent_decode(std::string_view text, std::string& out) {
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%') {
            out += text[i];
            continue;
        }
        if (i + 2 >= text.size()) {
            return false;
        }
        const int high = hex_value(text[i + 1]);
        const int low = hex_value(text[i + 2]);
        if (high < 0 || low < 0) {
            return false;
        }
        out += static_cast<char>(high * 16 + low);
        i += 2;
    }
    return true;
}

bool is_settable_system_property(std::string_view name) {
    if (name.empty() || (name[0] != '$' && name[0] != 'i')) {
        return false;
    }
    for (std::string_view settable : kSettableSystemProperties) {
        if (name == settable) {
            return true;
        }
    }
    return false;
}

bool is_reserved_property_name(std::string_view name) {
    return name.starts_with('$') || name.starts_with("iothub-");
}

void append_property_bag(const Properties& properties, std::string& out) {
    std::size_t estimate = out.size();
    for (const auto& [name, value] : properties)
        estimate += name.size() + value.size() + 8;
    out.reserve(estimate);
    bool first = true;
    for (const auto& [name, value] : properties) {
        if (!first) {
            out += '&';
        }
        first = false;
        // System names are constants made of unreserved characters apart from '$'; writing
        // them literally is what the SDKs do. Every other name is encoded, so a name that
        // decodes to `$...` cannot be produced from application data.
        if (is_settable_system_property(name)) {
            out += name;
        } else {
            percent_encode(name, out);
        }
        out += '=';
        percent_encode(value, out);
    }
}

std::string encode_property_bag(const Properties& properties) {
    std::string out;
    append_property_bag(properties, out);
    return out;
}

std::variant<Properties, PropertyBagError> decode_property_bag(std::string_view bag) {
    if (bag.starts_with('?')) {
        bag.remove_prefix(1);
    }
    Properties properties;
    while (!bag.empty()) {
        const std::size_t amp = bag.find('&');
        const std::string_view pair = bag.substr(0, amp);
        bag = amp == std::string_view::npos ? std::string_view() : bag.substr(amp + 1);
        if (pair.empty()) {
            continue;
        }
        const std::size_t eq = pair.find('=');
        const std::string_view raw_name = pair.substr(0, eq);
        const std::string_view raw_value =
            eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
        std::string name;
        std::string value;
        if (!percent_decode(raw_name, name) || !percent_decode(raw_value, value)) {
            return PropertyBagError{"malformed percent-escape in property '" +
                                    std::string(raw_name.substr(0, 64)) + "'"};
        }
        if (name.empty()) {
            return PropertyBagError{"property with an empty name"};
        }
        properties.emplace_back(std::move(name), std::move(value));
    }
    return properties;
}

}  // namespace hubgate::mappings
