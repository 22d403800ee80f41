// DPS CONNECT rules (see dps_auth.hpp and docs/hubsim.md, "Device Provisioning Service").
#include "hubsim/common/dps_auth.hpp"

#include <algorithm>
#include <cctype>

#include "hubgate/iothub/dps_credentials.hpp"
#include "hubgate/iothub/sas_token.hpp"
#include "hubsim/common/ascii_case.hpp"
#include "hubsim/common/client_certificate.hpp"

namespace hubsim {

namespace {

constexpr std::string_view kRegistrations = "/registrations/";

DpsAuthResult refuse_registration(std::string reason) {
    return DpsAuthResult{std::move(reason), {}};
}

// X.509 attestation: the client certificate (verified by the listener) names the registration id
// and was issued by an X.509 group's signing certificate.
DpsAuthResult authenticate_registration_x509(const ConnectAttempt& attempt,
                                             const std::vector<EnrollmentGroup>& groups) {
    if (attempt.client_certificate_pem.empty())
        return refuse_registration("no SAS token and no client certificate");
    if (attempt.client_common_name != attempt.client_id)
        return refuse_registration("client certificate CN is not the registration id");
    for (const auto& group : groups) {
        if (!group.x509())
            continue;
        std::unique_ptr<RegisteredCas> signer;
        try {
            signer = RegisteredCas::from_pem(group.signing_certificate);
        } catch (const CertificateFileError&) {
            continue;  // checked when the group was created
        }
        if (signer->issued_pem(attempt.client_certificate_pem))
            return DpsAuthResult{{}, group.id};
    }
    return refuse_registration("client certificate issued by no X.509 enrollment group");
}

}  // namespace

std::optional<DpsUsername> parse_dps_username(std::string_view username) {
    const auto marker = username.find(kRegistrations);
    if (marker == std::string_view::npos || marker == 0)
        return std::nullopt;
    const auto id_start = marker + kRegistrations.size();
    const auto id_end = username.find('/', id_start);
    if (id_end == std::string_view::npos || id_end == id_start)
        return std::nullopt;
    DpsUsername parsed;
    parsed.id_scope = std::string(username.substr(0, marker));
    parsed.registration_id = std::string(username.substr(id_start, id_end - id_start));
    if (parsed.id_scope.find('/') != std::string::npos)
        return std::nullopt;
    std::string_view query = username.substr(id_end + 1);
    while (!query.empty()) {
        const auto amp = query.find('&');
        const std::string_view field = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        const auto eq = field.find('=');
        if (field.empty() || eq == std::string_view::npos)
            continue;
        const auto value = field.substr(eq + 1);
        const auto decoded = hubgate::iothub::url_decode(value);
        parsed.query[std::string(field.substr(0, eq))] = decoded ? *decoded : std::string(value);
    }
    const auto version = parsed.query.find("api-version");
    if (version == parsed.query.end() || version->second.empty())
        return std::nullopt;
    return parsed;
}

DpsAuthResult authenticate_registration(const ConnectAttempt& attempt, const std::string& id_scope,
                                        const std::vector<EnrollmentGroup>& groups, int64_t now) {
    const auto username = parse_dps_username(attempt.username);
    if (!username)
        return refuse_registration("malformed DPS username");
    if (username->id_scope != id_scope)
        return refuse_registration("unknown ID scope");
    if (username->registration_id != attempt.client_id)
        return refuse_registration("username registration id differs from client id");
    if (!hubgate::iothub::valid_registration_id(attempt.client_id))
        return refuse_registration("invalid registration id");
    if (!attempt.password || attempt.password->empty())
        return authenticate_registration_x509(attempt, groups);
    const auto token = hubgate::iothub::parse_sas_token(*attempt.password);
    if (!token)
        return refuse_registration("malformed SAS token");
    if (token->expiry <= now)
        return refuse_registration("SAS token expired");
    if (token->policy != "registration")
        return refuse_registration("SAS token skn must be \"registration\"");
    if (lower_case(token->resource_uri) !=
        lower_case(id_scope + "/registrations/" + attempt.client_id))
        return refuse_registration("SAS token for another resource");
    for (const auto& group : groups) {
        if (group.x509())
            continue;
        for (const auto* key : {&group.primary_key, &group.secondary_key}) {
            if (key->empty())
                continue;
            const auto device_key = hubgate::iothub::derive_device_key(*key, attempt.client_id);
            if (device_key && hubgate::iothub::verify_sas_signature(*token, *device_key))
                return DpsAuthResult{{}, group.id};
        }
    }
    return refuse_registration("SAS signature matches no enrollment group");
}

}  // namespace hubsim
