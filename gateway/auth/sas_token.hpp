#pragma once
// IoT Hub shared access signatures (docs/iothub-mqtt.md, "SAS token"):
//   SharedAccessSignature sr={URL-encoded resourceURI}&sig={URL-encoded
//   sig}&se={expiry}[&skn={policy}] sig = base64(HMAC-SHA256(base64-decoded key, "{URL-encoded
//   resourceURI}\n{expiry}"))
// Used by device sessions (to sign), by hubsim (to verify) and by `hubgate token`.

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace hubgate::auth {

struct SasError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Percent-encodes everything but RFC 3986 unreserved characters (A-Z a-z 0-9 - . _ ~),
// with upper-case hex. "myhub.azure-devices.net/devices/dev 1" -> "...%2Fdevices%2Fdev%201".
std::string url_encode(std::string_view text);
// The same, appended to `out` (for building a topic without a string per part).
void url_encode_append(std::string& out, std::string_view text);
// Decodes %XX escapes (and '+' as space when `plus_is_space`); nullopt on a malformed escape.
std::optional<std::string> url_decode(std::string_view text, bool plus_is_space = false);

std::string base64_encode(std::string_view bytes);
// Strict standard base64 (with padding, whitespace not allowed); nullopt when invalid.
std::optional<std::string> base64_decode(std::string_view text);

std::string hmac_sha256(std::string_view key, std::string_view message);  // raw 32 bytes

// "{hub}/devices/{device}" (the resource URI a device token is scoped to).
std::string device_resource_uri(std::string_view hub_hostname, std::string_view device_id);

struct SasTokenSpec {
    std::string resource_uri;           // not yet URL-encoded
    std::string key_base64;             // device key or policy key, base64
    std::optional<std::string> policy;  // skn, only for a shared access policy
    int64_t expiry = 0;                 // seconds since the Unix epoch
};

// Throws SasError("key is not valid base64") when the key does not decode.
std::string make_sas_token(const SasTokenSpec& spec);

// Expiry for a token issued now that lives `ttl`.
int64_t expiry_after(std::chrono::seconds ttl,
                     std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

struct ParsedSasToken {
    std::string resource_uri_encoded;   // `sr` exactly as sent (the signature covers this form)
    std::string resource_uri;           // `sr` decoded
    std::string signature;              // `sig` decoded (base64 text)
    int64_t expiry = 0;                 // `se`
    std::optional<std::string> policy;  // `skn`
};

// Parses "SharedAccessSignature k=v&k=v..." in any field order; nullopt when malformed.
std::optional<ParsedSasToken> parse_sas_token(std::string_view token);

// True when `token.signature` is the HMAC of its encoded resource URI and expiry under the key.
// Compares in constant time.
bool verify_sas_signature(const ParsedSasToken& token, std::string_view key_base64);

// The token with its signature removed, safe for logs: "SharedAccessSignature sr=... se=...
// skn=...".
std::string redact_sas_token(std::string_view token);

}  // namespace hubgate::auth
