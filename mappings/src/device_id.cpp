#include "hubgate/mappings/device_id.hpp"

#include <string>

namespace hubgate::mappings {

namespace {

bool is_allowed_device_id_char(char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
        return true;
    }
    switch (c) {
        case '-':
        case '.':
        case '%':
        case '_':
        case '*':
        case '?':
        case '!':
        case '(':
        case ')':
        case ',':
        case ':':
        case '=':
        case '@':
        case '$':
        case '\'':
            return true;
        default:
            return false;
    }
}

std::string describe_byte(char c) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x21 && byte < 0x7f) {
        return std::string("character '") + c + "'";
    }
    static constexpr char kHex[] = "0123456789ABCDEF";
    return std::string("byte 0x") + kHex[byte >> 4] + kHex[byte & 0xf];
}

}  // namespace

std::optional<std::string> device_id_error(std::string_view id) {
    if (id.empty()) {
        return "device id is empty";
    }
    if (id.size() > kMaxDeviceIdLength) {
        return "device id has " + std::to_string(id.size()) + " characters (at most " +
               std::to_string(kMaxDeviceIdLength) + ")";
    }
    for (std::size_t i = 0; i < id.size(); ++i) {
        if (!is_allowed_device_id_char(id[i])) {
            return describe_byte(id[i]) + " at offset " + std::to_string(i) +
                   " is not allowed in a device id";
        }
    }
    return std::nullopt;
}

}  // namespace hubgate::mappings
