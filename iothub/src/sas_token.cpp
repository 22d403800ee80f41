// SAS token creation, parsing and verification (docs/iothub-mqtt.md, "SAS token").
#include "hubgate/iothub/sas_token.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <charconv>
#include <vector>

namespace hubgate::iothub {

namespace {
constexpr std::string_view kPrefix = "SharedAccessSignature ";

std::string string_to_sign(std::string_view encoded_resource_uri, int64_t expiry) {
    return std::string(encoded_resource_uri) + "\n" + std::to_string(expiry);
}

// Splits "a=1&b=2" into pairs without decoding.
std::vector<std::pair<std::string_view, std::string_view>> split_fields(std::string_view text) {
    std::vector<std::pair<std::string_view, std::string_view>> fields;
    while (!text.empty()) {
        auto amp = text.find('&');
        auto part = text.substr(0, amp);
        auto eq = part.find('=');
        if (eq == std::string_view::npos) {
            fields.emplace_back(part, std::string_view{});
        } else {
            fields.emplace_back(part.substr(0, eq), part.substr(eq + 1));
        }
        if (amp == std::string_view::npos)
            break;
        text.remove_prefix(amp + 1);
    }
    return fields;
}
}  // namespace

std::string hmac_sha256(std::string_view key, std::string_view message) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest, &length);
    return std::string(reinterpret_cast<char*>(digest), length);
}

std::string device_resource_uri(std::string_view hub_hostname, std::string_view device_id) {
    return std::string(hub_hostname) + "/devices/" + std::string(device_id);
}

int64_t expiry_after(std::chrono::seconds ttl, std::chrono::system_clock::time_point now) {
    return std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch() + ttl).count();
}

std::string make_sas_token(const SasTokenSpec& spec) {
    auto key = base64_decode(spec.key_base64);
    if (!key)
        throw SasError("key is not valid base64");
    std::string encoded_uri = url_encode(spec.resource_uri);
    std::string signature =
        base64_encode(hmac_sha256(*key, string_to_sign(encoded_uri, spec.expiry)));
    std::string token = std::string(kPrefix) + "sr=" + encoded_uri +
                        "&sig=" + url_encode(signature) + "&se=" + std::to_string(spec.expiry);
    if (spec.policy)
        token += "&skn=" + url_encode(*spec.policy);
    return token;
}

std::optional<ParsedSasToken> parse_sas_token(std::string_view token) {
    if (!token.starts_with(kPrefix))
        return std::nullopt;
    token.remove_prefix(kPrefix.size());
    ParsedSasToken parsed;
    bool have_sr = false, have_sig = false, have_se = false;
    for (auto [name, value] : split_fields(token)) {
        if (name == "sr" && !have_sr) {
            auto decoded = url_decode(value);
            if (!decoded)
                return std::nullopt;
            parsed.resource_uri_encoded = value;
            parsed.resource_uri = *decoded;
            have_sr = true;
        } else if (name == "sig" && !have_sig) {
            auto decoded = url_decode(value);
            if (!decoded)
                return std::nullopt;
            parsed.signature = *decoded;
            have_sig = true;
        } else if (name == "se" && !have_se) {
            auto [end, ec] =
                std::from_chars(value.data(), value.data() + value.size(), parsed.expiry);
            if (ec != std::errc{} || end != value.data() + value.size())
                return std::nullopt;
            have_se = true;
        } else if (name == "skn" && !parsed.policy) {
            auto decoded = url_decode(value);
            if (!decoded)
                return std::nullopt;
            parsed.policy = *decoded;
        } else {
            return std::nullopt;  // unknown or repeated field
        }
    }
    if (!have_sr || !have_sig || !have_se)
        return std::nullopt;
    return parsed;
}

bool verify_sas_signature(const ParsedSasToken& token, std::string_view key_base64) {
    auto key = base64_decode(key_base64);
    if (!key)
        return false;
    std::string expected =
        base64_encode(hmac_sha256(*key, string_to_sign(token.resource_uri_encoded, token.expiry)));
    return expected.size() == token.signature.size() &&
           CRYPTO_memcmp(expected.data(), token.signature.data(), expected.size()) == 0;
}

std::string redact_sas_token(std::string_view token) {
    if (!token.starts_with(kPrefix))
        return "<not a SAS token>";
    token.remove_prefix(kPrefix.size());
    std::string out = "SharedAccessSignature";
    for (auto [name, value] : split_fields(token)) {
        // Only fields known to be public are shown; anything else might be a signature.
        if (name != "sr" && name != "se" && name != "skn")
            continue;
        out += " ";
        out += name;
        out += "=";
        out += value;
    }
    return out;
}

}  // namespace hubgate::iothub
