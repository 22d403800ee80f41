// Service SAS authentication of the hubsim HTTPS API: every refusal reason, and acceptance.
#include <doctest/doctest.h>

#include "hubgate/iothub/sas_token.hpp"
#include "hubsim/service/service_auth.hpp"

namespace {

namespace iothub = hubgate::iothub;
using hubsim::authorize_service_request;

const std::string kHub = "myhub.azure-devices.net";
const std::string kOwnerKey = iothub::base64_encode("an owner key of thirty-two bytes");
constexpr int64_t kNow = 1'800'000'000;

std::optional<std::string> lookup(const std::string& policy, const std::string& right) {
    if (policy == "iothubowner")
        return kOwnerKey;
    if (policy == "registryRead" && right == "RegistryRead")
        return kOwnerKey;
    return std::nullopt;
}

std::string token(const std::string& resource, const std::optional<std::string>& policy,
                  int64_t expiry, const std::string& key = kOwnerKey) {
    return iothub::make_sas_token({resource, key, policy, expiry});
}

hubsim::AuthDecision check(const std::optional<std::string>& header,
                           const std::string& right = "ServiceConnect") {
    return authorize_service_request(header, kHub, right, lookup, kNow);
}

TEST_CASE("a valid owner token is accepted") {
    const auto decision = check(token(kHub, "iothubowner", kNow + 60));
    CHECK(decision.accepted);
    CHECK(decision.reason.empty());
}

TEST_CASE("the hub name in sr is compared without case, and paths below it are accepted") {
    CHECK(check(token("MyHub.Azure-Devices.NET", "iothubowner", kNow + 60)).accepted);
    CHECK(check(token(kHub + "/devices", "iothubowner", kNow + 60)).accepted);
}

TEST_CASE("refusals, each with its reason") {
    struct Case {
        const char* name;
        std::optional<std::string> header;
        std::string right;
        std::string reason_part;
    };
    const Case cases[] = {
        {"no header", std::nullopt, "ServiceConnect", "missing"},
        {"empty header", std::string(), "ServiceConnect", "missing"},
        {"not a SAS token", std::string("Bearer xyz"), "ServiceConnect", "malformed"},
        {"no skn", token(kHub, std::nullopt, kNow + 60), "ServiceConnect", "skn"},
        {"other hub", token("evil.azure-devices.net", "iothubowner", kNow + 60), "ServiceConnect",
         "not this hub"},
        {"prefix of another hub", token(kHub + ".evil.net", "iothubowner", kNow + 60),
         "ServiceConnect", "not this hub"},
        {"expired", token(kHub, "iothubowner", kNow - 1), "ServiceConnect", "expired"},
        {"expires now", token(kHub, "iothubowner", kNow), "ServiceConnect", "expired"},
        {"unknown policy", token(kHub, "nobody", kNow + 60), "ServiceConnect", "unknown or lacks"},
        {"policy lacks the right", token(kHub, "registryRead", kNow + 60), "RegistryWrite",
         "lacks RegistryWrite"},
        {"wrong key", token(kHub, "iothubowner", kNow + 60, iothub::base64_encode("other key")),
         "ServiceConnect", "signature"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.name);
        const auto decision = check(c.header, c.right);
        CHECK_FALSE(decision.accepted);
        CHECK(decision.reason.find(c.reason_part) != std::string::npos);
    }
}

TEST_CASE("a refusal reason never contains the signature") {
    const auto bad = token(kHub, "iothubowner", kNow + 60, iothub::base64_encode("other key"));
    const auto sig = iothub::parse_sas_token(bad)->signature;
    const auto decision = check(bad);
    CHECK_FALSE(decision.accepted);
    CHECK(decision.reason.find(sig) == std::string::npos);
}

}  // namespace
