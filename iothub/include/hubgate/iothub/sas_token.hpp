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

#include "hubgate/iothub/encoding.hpp"  // the encodings a token is built from

namespace hubgate::iothub {

struct SasError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

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

}  // namespace hubgate::iothub
