#pragma once
// Service-side authentication of the hubsim HTTPS API: every request carries
// `Authorization: SharedAccessSignature sr={hostname}&sig=...&se=...&skn={policy}`, signed with
// the key of a shared access policy that holds the right the endpoint needs.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace hubsim {

// Looks up a policy's key when the policy exists and holds `right`.
using PolicyKeyLookup =
    std::function<std::optional<std::string>(const std::string& policy, const std::string& right)>;

// Why a request was refused; empty `reason` means it was accepted. `reason` never holds a secret.
struct AuthDecision {
    bool accepted = false;
    std::string reason;
};

// Whether a token's resource (sr=) is the hub `hub_hostname` or a path below it (host names
// compare case-insensitively, as IoT Hub's do).
bool token_names_hub(std::string_view resource_uri, std::string_view hub_hostname);

// `authorization`: the header value (nullopt when absent). `now`: seconds since the Unix epoch.
AuthDecision authorize_service_request(const std::optional<std::string>& authorization,
                                       std::string_view hub_hostname, const std::string& right,
                                       const PolicyKeyLookup& lookup, int64_t now);

}  // namespace hubsim
