// URL (percent) and base64 encodings used by SAS tokens, property bags and topic queries.
#include "hubgate/iothub/encoding.hpp"

#include <openssl/evp.h>

#include <array>
#include <cctype>

namespace hubgate::iothub {

namespace {

constexpr char kHexDigits[] = "0123456789ABCDEF";

// RFC 3986 unreserved characters, as a table: the telemetry topic's bag is encoded for every
// message, and a load is cheaper than the comparisons (and locale-independent, unlike isalnum).
constexpr std::array<bool, 256> kUnreserved = [] {
    std::array<bool, 256> table{};
    for (int c = 0; c < 256; ++c) {
        table[static_cast<std::size_t>(c)] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                                             (c >= '0' && c <= '9') || c == '-' || c == '.' ||
                                             c == '_' || c == '~';
    }
    return table;
}();

bool is_unreserved(char c) {
    return kUnreserved[static_cast<unsigned char>(c)];
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

bool decode_into(std::string& out, std::string_view text, bool plus_is_space) {
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '%') {
            if (i + 2 >= text.size())
                return false;
            const int high = hex_value(text[i + 1]);
            const int low = hex_value(text[i + 2]);
            if (high < 0 || low < 0)
                return false;
            out.push_back(static_cast<char>(high * 16 + low));
            i += 2;
        } else if (c == '+' && plus_is_space) {
            out.push_back(' ');
        } else {
            out.push_back(c);
        }
    }
    return true;
}

}  // namespace

std::string url_encode(std::string_view text) {
    std::string out;
    out.reserve(url_encoded_size(text));
    url_encode_append(out, text);
    return out;
}

void url_encode_append(std::string& out, std::string_view text) {
    const std::size_t start = out.size();
    out.resize(start + url_encoded_size(text));
    url_encode_into(out.data() + start, text);
}

char* url_encode_into(char* out, std::string_view text) {
    for (const char ch : text) {
        if (is_unreserved(ch)) {
            *out++ = ch;
        } else {
            const auto c = static_cast<unsigned char>(ch);
            *out++ = '%';
            *out++ = kHexDigits[c >> 4];
            *out++ = kHexDigits[c & 0x0F];
        }
    }
    return out;
}

std::size_t url_encoded_size(std::string_view text) {
    std::size_t size = text.size();
    for (const char ch : text) {
        size += is_unreserved(ch) ? 0 : 2;
    }
    return size;
}

std::optional<std::string> url_decode(std::string_view text, bool plus_is_space) {
    std::string out;
    out.reserve(text.size());
    if (!decode_into(out, text, plus_is_space))
        return std::nullopt;
    return out;
}

bool url_decode_append(std::string& out, std::string_view text) {
    return decode_into(out, text, false);
}

std::string base64_encode(std::string_view bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3), '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(bytes.data()),
                                  static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
    // EVP_DecodeBlock tolerates whitespace and does not report padding; check the shape first so
    // a malformed key is a clear error rather than a wrong signature.
    if (text.empty() || text.size() % 4 != 0)
        return std::nullopt;
    std::size_t padding = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        const bool alphabet = std::isalnum(c) != 0 || c == '+' || c == '/';
        if (c == '=') {
            if (i < text.size() - 2)
                return std::nullopt;
            ++padding;
        } else if (!alphabet || padding > 0) {
            return std::nullopt;
        }
    }
    std::string out(3 * text.size() / 4, '\0');
    const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(text.data()),
                                  static_cast<int>(text.size()));
    if (n < 0)
        return std::nullopt;
    out.resize(static_cast<std::size_t>(n) - padding);
    return out;
}

}  // namespace hubgate::iothub
