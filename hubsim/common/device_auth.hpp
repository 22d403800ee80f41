#pragma once
// Decides whether a device CONNECT may proceed: client id, username and SAS token (device key or
// a DeviceConnect policy), or an X.509 thumbprint. Pure: the caller supplies the clock.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hubsim/common/hub_config.hpp"

namespace hubsim {

// Why a CONNECT was refused; ok() when it was not.
struct DeviceAuthResult {
    std::string refusal;       // empty when accepted; a reason safe for logs otherwise
    int64_t token_expiry = 0;  // seconds since epoch; 0 = no expiry (X.509)
    bool ok() const { return refusal.empty(); }
};

struct ConnectAttempt {
    std::string client_id;
    std::string username;
    std::optional<std::string> password;
    std::optional<std::string> client_thumbprint_sha1;    // lower-case hex, when a cert was sent
    std::optional<std::string> client_thumbprint_sha256;  // lower-case hex
    std::string client_common_name{};                     // the certificate subject's CN
    bool client_issued_by_registered_ca = false;          // chains to [[certificate_authorities]]
    std::string client_certificate_pem{};                 // the certificate itself (DPS X.509)
};

// `device` is nullptr when the client id is not a registered device.
DeviceAuthResult authenticate_device(const ConnectAttempt& attempt, const std::string& hostname,
                                     const DeviceIdentity* device,
                                     const std::vector<AccessPolicy>& policies, int64_t now);

}  // namespace hubsim
