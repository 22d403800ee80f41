// CONNECT authentication rules from iothub-mqtt.md ("CONNECT", "SAS token").
#include "hubsim/common/device_auth.hpp"

#include <algorithm>
#include <cctype>

#include "hubgate/iothub/sas_token.hpp"
#include "hubsim/common/api_versions.hpp"
#include "hubsim/common/ascii_case.hpp"
#include "hubsim/common/device_username.hpp"

namespace hubsim {

namespace {

DeviceAuthResult refuse(std::string reason) {
    return DeviceAuthResult{std::move(reason), 0};
}

// IoT Hub's two X.509 kinds: "selfSigned" devices are known by the thumbprint of their
// certificate (primary or secondary, SHA-1 or SHA-256); "certificateAuthority" devices by any
// certificate a registered CA issued with CN = device id.
DeviceAuthResult authenticate_x509(const ConnectAttempt& attempt, const DeviceIdentity& device) {
    if (device.x509_thumbprint.empty() && !device.certificate_authority)
        return refuse("device has no X.509 thumbprint");
    if (!attempt.client_thumbprint_sha1)
        return refuse("no password and no client certificate");
    if (device.certificate_authority) {
        if (!attempt.client_issued_by_registered_ca)
            return refuse("client certificate not issued by a registered CA");
        if (attempt.client_common_name != device.id)
            return refuse("client certificate CN is not the device id");
        return DeviceAuthResult{};
    }
    for (const auto* thumbprint : {&device.x509_thumbprint, &device.x509_secondary_thumbprint}) {
        if (!thumbprint->empty() && (*thumbprint == attempt.client_thumbprint_sha1 ||
                                     *thumbprint == attempt.client_thumbprint_sha256)) {
            return DeviceAuthResult{};
        }
    }
    return refuse("client certificate thumbprint does not match");
}

}  // namespace

DeviceAuthResult authenticate_device(const ConnectAttempt& attempt, const std::string& hostname,
                                     const DeviceIdentity* device,
                                     const std::vector<AccessPolicy>& policies, int64_t now) {
    auto username = parse_device_username(attempt.username);
    if (!username)
        return refuse("malformed username");
    if (lower_case(username->hostname) != lower_case(hostname))
        return refuse("username names another hub");
    if (username->device_id != attempt.client_id)
        return refuse("username device id differs from client id");
    if (!is_hub_api_version(username->query.at("api-version")))
        return refuse("unsupported api-version");
    if (device == nullptr)
        return refuse("unknown device");
    if (!device->enabled)
        return refuse("device disabled");
    if (!attempt.password || attempt.password->empty())
        return authenticate_x509(attempt, *device);

    auto token = hubgate::iothub::parse_sas_token(*attempt.password);
    if (!token)
        return refuse("malformed SAS token");
    if (token->expiry <= now)
        return refuse("SAS token expired");
    std::string device_uri = lower_case(hubgate::iothub::device_resource_uri(hostname, device->id));
    std::string token_uri = lower_case(token->resource_uri);
    if (token->policy) {
        auto policy = std::find_if(policies.begin(), policies.end(),
                                   [&](const AccessPolicy& p) { return p.name == *token->policy; });
        if (policy == policies.end())
            return refuse("unknown policy");
        if (!policy->has_right("DeviceConnect"))
            return refuse("policy lacks DeviceConnect");
        // A hub-scoped policy token covers every device; a device-scoped one only its device.
        if (token_uri != device_uri && token_uri != lower_case(hostname))
            return refuse("SAS token for another resource");
        if (!hubgate::iothub::verify_sas_signature(*token, policy->key))
            return refuse("SAS signature does not match");
        return DeviceAuthResult{{}, token->expiry};
    }
    if (token_uri != device_uri)
        return refuse("SAS token for another resource");
    for (const auto* key : {&device->primary_key, &device->secondary_key}) {
        if (!key->empty() && hubgate::iothub::verify_sas_signature(*token, *key)) {
            return DeviceAuthResult{{}, token->expiry};
        }
    }
    return refuse("SAS signature does not match");
}

}  // namespace hubsim
