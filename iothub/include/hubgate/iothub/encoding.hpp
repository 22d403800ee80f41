#pragma once
// The text encodings IoT Hub uses: percent-encoding (property bags, request ids, SAS fields) and
// base64 (keys and signatures).

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace hubgate::iothub {

// Percent-encodes everything but RFC 3986 unreserved characters (A-Z a-z 0-9 - . _ ~), with
// upper-case hex, so '/', '&', '=', '%', '$', spaces and non-ASCII bytes are always encoded:
// "myhub.azure-devices.net/devices/dev 1" -> "...%2Fdevices%2Fdev%201".
std::string url_encode(std::string_view text);
// The same, appended to `out` (for building a topic without a string per part).
void url_encode_append(std::string& out, std::string_view text);
// The length url_encode(text) would have, without building it (to reserve once).
std::size_t url_encoded_size(std::string_view text);
// Writes the encoding to `out`, which has room for url_encoded_size(text) characters; returns the
// end of what was written.
char* url_encode_into(char* out, std::string_view text);
// Decodes %XX escapes (either hex case; '+' as space only when `plus_is_space`); nullopt on a
// truncated or non-hex escape.
std::optional<std::string> url_decode(std::string_view text, bool plus_is_space = false);
// The same, appended to `out`; false on a malformed escape (`out` then holds a partial result).
bool url_decode_append(std::string& out, std::string_view text);

std::string base64_encode(std::string_view bytes);
// Strict standard base64 (with padding, whitespace not allowed); nullopt when invalid.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace hubgate::iothub
