#include "hubsim/service/service_auth.hpp"

#include <algorithm>
#include <cctype>

#include "hubgate/iothub/sas_token.hpp"
#include "hubsim/common/ascii_case.hpp"

namespace hubsim {

namespace {

// A service token is scoped to the hub ("{hostname}") or to a path below it; IoT Hub compares
// host names case-insensitively.
bool resource_covers_hub(std::string_view resource_uri, std::string_view hub_hostname) {
    const auto resource = lower_case(resource_uri);
    const auto hub = lower_case(hub_hostname);
    return resource == hub || resource.starts_with(hub + "/");
}

AuthDecision refuse(std::string reason) {
    return {false, std::move(reason)};
}

}  // namespace

bool token_names_hub(std::string_view resource_uri, std::string_view hub_hostname) {
    return resource_covers_hub(resource_uri, hub_hostname);
}

AuthDecision authorize_service_request(const std::optional<std::string>& authorization,
                                       std::string_view hub_hostname, const std::string& right,
                                       const PolicyKeyLookup& lookup, int64_t now) {
    if (!authorization || authorization->empty()) {
        return refuse("missing Authorization header");
    }
    const auto token = hubgate::iothub::parse_sas_token(*authorization);
    if (!token) {
        return refuse("malformed SharedAccessSignature");
    }
    if (!token->policy) {
        return refuse("token has no skn (service tokens are signed by a shared access policy)");
    }
    if (!resource_covers_hub(token->resource_uri, hub_hostname)) {
        return refuse("token resource '" + token->resource_uri + "' is not this hub");
    }
    if (token->expiry <= now) {
        return refuse("token expired");
    }
    const auto key = lookup(*token->policy, right);
    if (!key) {
        return refuse("policy '" + *token->policy + "' is unknown or lacks " + right);
    }
    if (!hubgate::iothub::verify_sas_signature(*token, *key)) {
        return refuse("signature does not match policy '" + *token->policy + "'");
    }
    return {true, {}};
}

}  // namespace hubsim
