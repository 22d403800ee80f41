#pragma once
// What a device presents to the Device Provisioning Service when it attests with a symmetric key
// of a group enrollment (api-version 2019-03-31): client id = registration id, username
// "{idScope}/registrations/{registrationId}/api-version=2019-03-31&ClientVersion=...", password a
// SAS token with sr={idScope}/registrations/{registrationId} and skn=registration, signed with
// the device key derived from the group key. Built by the gateway, checked by hubsim.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hubgate::iothub {

inline constexpr std::string_view kDpsApiVersion = "2019-03-31";
inline constexpr std::string_view kDpsRegistrationPolicy = "registration";

// DPS registration ids: 1-128 characters, alphanumeric (case-insensitive) and - . _ : , the
// last one alphanumeric or '-'.
bool valid_registration_id(std::string_view id);

// base64(HMAC-SHA256(base64-decoded group key, registration id)), as the Azure SDKs derive a
// device key from a group enrollment key. nullopt when the group key is not base64.
std::optional<std::string> derive_device_key(std::string_view group_key_base64,
                                             std::string_view registration_id);

// "{idScope}/registrations/{registrationId}" (the resource a registration token is scoped to).
std::string dps_resource_uri(std::string_view id_scope, std::string_view registration_id);

// "{idScope}/registrations/{registrationId}/api-version=2019-03-31&ClientVersion={encoded}".
std::string dps_username(std::string_view id_scope, std::string_view registration_id,
                         std::string_view client_version);

// The registration SAS token, signed with the device key (base64). Throws SasError when the key
// is not base64.
std::string make_registration_sas_token(std::string_view id_scope, std::string_view registration_id,
                                        std::string_view device_key_base64, int64_t expiry);

}  // namespace hubgate::iothub
