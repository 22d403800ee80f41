#pragma once
// The DPS MQTT CONNECT (api-version 2019-03-31): client id = registration id, username
// "{idScope}/registrations/{registrationId}/api-version=2019-03-31&ClientVersion=...", password
// a SAS token with sr={idScope}/registrations/{registrationId} and skn=registration, signed with
// the device key derived from a group enrollment's key (hubgate/iothub/dps_credentials.hpp builds
// and derives them). Pure: the caller supplies the clock.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hubsim/common/device_auth.hpp"
#include "hubsim/common/dps_config.hpp"

namespace hubsim {

struct DpsUsername {
    std::string id_scope;
    std::string registration_id;
    std::map<std::string, std::string> query;  // api-version, ClientVersion, ...
};

// nullopt when `username` is not a DPS username (wrong shape or no api-version).
std::optional<DpsUsername> parse_dps_username(std::string_view username);

struct DpsAuthResult {
    std::string refusal;   // empty when accepted; safe for logs (never a key or signature)
    std::string group_id;  // the enrollment group whose derived key signed the token
    bool ok() const { return refusal.empty(); }
};

// Checks a CONNECT against the configured scope and the enrollment groups (disabled groups
// authenticate too: their registrations end in status "disabled", as DPS reports them).
DpsAuthResult authenticate_registration(const ConnectAttempt& attempt, const std::string& id_scope,
                                        const std::vector<EnrollmentGroup>& groups, int64_t now);

}  // namespace hubsim
