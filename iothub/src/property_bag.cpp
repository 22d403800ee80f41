// The property-bag codec: the only code that writes or reads `name=value&...` for IoT Hub.
#include "hubgate/iothub/property_bag.hpp"

#include <algorithm>
#include <array>

#include "hubgate/iothub/encoding.hpp"

namespace hubgate::iothub {

namespace {

// Settable system properties. They are made of unreserved characters apart from the '$', so
// writing them literally is safe; it is also what the SDKs do.
constexpr std::array<std::string_view, 6> kSettableSystemProperties = {
    "$.ct", "$.ce", "$.mid", "$.cid", "$.uid", "iothub-creation-time-utc"};

bool written_literally(std::string_view name, SystemNames system_names) {
    return system_names == SystemNames::literal && is_settable_system_property(name);
}

}  // namespace

bool is_settable_system_property(std::string_view name) {
    if (name.empty() || (name[0] != '$' && name[0] != 'i')) {
        return false;
    }
    for (const std::string_view settable : kSettableSystemProperties) {
        if (name == settable) {
            return true;
        }
    }
    return false;
}

bool is_reserved_property_name(std::string_view name) {
    return name.starts_with('$') || name.starts_with("iothub-");
}

std::size_t property_bag_size(const Properties& properties, SystemNames system_names) {
    std::size_t size = properties.empty() ? 0 : properties.size() - 1;  // the '&'s
    for (const auto& [name, value] : properties) {
        size += written_literally(name, system_names) ? name.size() : url_encoded_size(name);
        size += 1 + url_encoded_size(value);  // '='
    }
    return size;
}

char* write_property_bag(char* out, const Properties& properties, SystemNames system_names) {
    bool first = true;
    for (const auto& [name, value] : properties) {
        if (!first) {
            *out++ = '&';
        }
        first = false;
        if (written_literally(name, system_names)) {
            out = std::copy(name.begin(), name.end(), out);
        } else {
            out = url_encode_into(out, name);
        }
        *out++ = '=';
        out = url_encode_into(out, value);
    }
    return out;
}

void append_property_bag(std::string& out, const Properties& properties, SystemNames system_names) {
    if (properties.empty()) {
        return;
    }
    // Sized once, then written in place: no reallocation and no capacity check per character.
    const std::size_t start = out.size();
    out.resize(start + property_bag_size(properties, system_names));
    write_property_bag(out.data() + start, properties, system_names);
}

std::string encode_property_bag(const Properties& properties, SystemNames system_names) {
    std::string out;
    append_property_bag(out, properties, system_names);
    return out;
}

std::optional<Properties> decode_property_bag(std::string_view bag) {
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
        if (!url_decode_append(name, raw_name) || !url_decode_append(value, raw_value) ||
            name.empty()) {
            return std::nullopt;
        }
        properties.emplace_back(std::move(name), std::move(value));
    }
    return properties;
}

std::optional<std::string_view> find_property(const Properties& properties, std::string_view name) {
    for (const auto& [key, value] : properties) {
        if (key == name) {
            return value;
        }
    }
    return std::nullopt;
}

}  // namespace hubgate::iothub
