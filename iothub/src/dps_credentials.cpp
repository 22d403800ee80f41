// DPS symmetric-key attestation: registration ids, derived keys, username and token.
#include "hubgate/iothub/dps_credentials.hpp"

#include <algorithm>
#include <cctype>

#include "hubgate/iothub/encoding.hpp"
#include "hubgate/iothub/sas_token.hpp"

namespace hubgate::iothub {

namespace {
constexpr size_t kMaxRegistrationId = 128;
}  // namespace

bool valid_registration_id(std::string_view id) {
    if (id.empty() || id.size() > kMaxRegistrationId)
        return false;
    const auto allowed = [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' ||
               c == ':';
    };
    const char last = id.back();
    return std::all_of(id.begin(), id.end(), allowed) &&
           (std::isalnum(static_cast<unsigned char>(last)) || last == '-');
}

std::optional<std::string> derive_device_key(std::string_view group_key_base64,
                                             std::string_view registration_id) {
    const auto group_key = base64_decode(group_key_base64);
    if (!group_key)
        return std::nullopt;
    return base64_encode(hmac_sha256(*group_key, registration_id));
}

std::string dps_resource_uri(std::string_view id_scope, std::string_view registration_id) {
    return std::string(id_scope) + "/registrations/" + std::string(registration_id);
}

std::string dps_username(std::string_view id_scope, std::string_view registration_id,
                         std::string_view client_version) {
    std::string username = dps_resource_uri(id_scope, registration_id);
    username += "/api-version=";
    username += kDpsApiVersion;
    username += "&ClientVersion=";
    url_encode_append(username, client_version);
    return username;
}

std::string make_registration_sas_token(std::string_view id_scope, std::string_view registration_id,
                                        std::string_view device_key_base64, int64_t expiry) {
    return make_sas_token({dps_resource_uri(id_scope, registration_id),
                           std::string(device_key_base64), std::string(kDpsRegistrationPolicy),
                           expiry});
}

}  // namespace hubgate::iothub
