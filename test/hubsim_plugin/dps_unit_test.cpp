// Unit tests of hubsim's DPS logic (hubsim/common/dps_*, registration_quota): no broker.
#include <doctest/doctest.h>

#include "hubgate/iothub/dps_credentials.hpp"
#include "hubgate/iothub/sas_token.hpp"
#include "hubsim/common/dps_auth.hpp"
#include "hubsim/common/hub_config.hpp"
#include "hubsim/common/registration_quota.hpp"

using namespace hubsim;
using namespace std::chrono_literals;

namespace {

const std::string kScope = "0ne0000A1B2";
const std::string kGroupKey = "kbbwk6MoamJYldA+HSnmfDk5vs4hRA5O7xh2jY3ERUU=";
const std::string kOtherKey = hubgate::iothub::base64_encode("another-group-key-0123456789abcd");
constexpr int64_t kDpsNow = 1'800'000'000;

std::string username(const std::string& id, const std::string& scope = kScope) {
    return scope + "/registrations/" + id +
           "/api-version=2019-03-31&ClientVersion=azure-iot-provisioning-device%2F1.9.1";
}

std::string dps_token(const std::string& id, const std::string& key,
                      int64_t expiry = kDpsNow + 3600,
                      std::optional<std::string> policy = "registration",
                      std::optional<std::string> resource = std::nullopt) {
    return hubgate::iothub::make_sas_token({resource.value_or(kScope + "/registrations/" + id),
                                            *hubgate::iothub::derive_device_key(key, id), policy,
                                            expiry});
}

std::vector<EnrollmentGroup> groups() {
    return {EnrollmentGroup{"other", kOtherKey, "", true},
            EnrollmentGroup{"sensors", kGroupKey, kOtherKey, false}};
}

DpsAuthResult check(const std::string& client, const std::string& user,
                    std::optional<std::string> password) {
    return authenticate_registration(ConnectAttempt{client, user, password, {}, {}}, kScope,
                                     groups(), kDpsNow);
}

}  // namespace

TEST_CASE("DPS usernames: scope, registration id and the query, and hub usernames are not DPS") {
    const auto parsed = parse_dps_username(username("sensor-7"));
    REQUIRE(parsed);
    CHECK(parsed->id_scope == kScope);
    CHECK(parsed->registration_id == "sensor-7");
    CHECK(parsed->query.at("api-version") == "2019-03-31");
    CHECK(parsed->query.at("ClientVersion") == "azure-iot-provisioning-device/1.9.1");
    CHECK_FALSE(parse_dps_username("hubsim.azure-devices.net/dev1/?api-version=2021-04-12"));
    CHECK_FALSE(parse_dps_username(kScope + "/registrations/dev1/ClientVersion=x"));
    CHECK_FALSE(parse_dps_username("/registrations/dev1/api-version=2019-03-31"));
    CHECK_FALSE(parse_dps_username(kScope + "/registrations//api-version=2019-03-31"));
}

TEST_CASE("a registration authenticates with a key derived from any key of a group") {
    auto ok = check("sensor-7", username("sensor-7"), dps_token("sensor-7", kGroupKey));
    CHECK(ok.ok());
    CHECK(ok.group_id == "sensors");  // disabled groups authenticate: DPS reports "disabled"
    ok = check("sensor-7", username("sensor-7"), dps_token("sensor-7", kOtherKey));
    CHECK(ok.group_id == "other");
}

TEST_CASE("bad DPS CONNECTs are refused with a reason that holds no secret") {
    const auto good = dps_token("sensor-7", kGroupKey);
    struct Case {
        const char* name;
        std::string client, user;
        std::optional<std::string> password;
        std::string reason;
    };
    const std::vector<Case> cases{
        {"malformed", "sensor-7", "sensor-7", good, "malformed DPS username"},
        {"scope", "sensor-7", username("sensor-7", "0ne00000000"), good, "unknown ID scope"},
        {"client id", "sensor-8", username("sensor-7"), good,
         "username registration id differs from client id"},
        {"bad id", "bad.", username("bad."), dps_token("bad.", kGroupKey),
         "invalid registration id"},
        {"no password", "sensor-7", username("sensor-7"), std::nullopt,
         "no SAS token and no client certificate"},
        {"garbage", "sensor-7", username("sensor-7"), "x", "malformed SAS token"},
        {"expired", "sensor-7", username("sensor-7"), dps_token("sensor-7", kGroupKey, kDpsNow - 1),
         "SAS token expired"},
        {"skn", "sensor-7", username("sensor-7"),
         dps_token("sensor-7", kGroupKey, kDpsNow + 60, std::nullopt),
         "SAS token skn must be \"registration\""},
        {"resource", "sensor-7", username("sensor-7"),
         dps_token("sensor-7", kGroupKey, kDpsNow + 60, "registration",
                   kScope + "/registrations/x"),
         "SAS token for another resource"},
        {"key", "sensor-7", username("sensor-7"),
         dps_token("sensor-7", hubgate::iothub::base64_encode("not-a-group-key-0123456789abcdef")),
         "SAS signature matches no enrollment group"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.name);
        const auto result = check(c.client, c.user, c.password);
        CHECK(result.refusal == c.reason);
        CHECK(result.refusal.find(kGroupKey) == std::string::npos);
    }
}

TEST_CASE("the registration quota: a minute's worth as a burst, then paced with retry-after") {
    RegistrationQuota quota;
    const auto start = std::chrono::steady_clock::time_point{} + 1h;
    quota.set_per_minute(6, start);  // one every 10 s
    for (int i = 0; i < 6; ++i)
        CHECK_FALSE(quota.try_acquire(start));
    CHECK(quota.try_acquire(start) == 10);
    CHECK(quota.try_acquire(start + 5s) == 5);
    CHECK_FALSE(quota.try_acquire(start + 10s));
    quota.set_per_minute(0, start);
    for (int i = 0; i < 1000; ++i)
        CHECK_FALSE(quota.try_acquire(start));
}

TEST_CASE("the dps table and the enrollment_groups array of tables in the hubsim config") {
    const auto config =
        parse_hub_config("[dps]\nid_scope = \"" + kScope +
                             "\"\nregistrations_per_minute = 0\npoll_after_seconds = 0\n"
                             "[[enrollment_groups]]\nid = \"sensors\"\nprimary_key = \"" +
                             kGroupKey + "\"\nstatus = \"disabled\"\n",
                         "hub.toml");
    CHECK(config.dps.id_scope == kScope);
    CHECK(config.dps.registrations_per_minute == 0);
    CHECK(config.dps.poll_after_seconds == 0);
    REQUIRE(config.dps.enrollment_groups.size() == 1);
    CHECK(config.dps.enrollment_groups[0].id == "sensors");
    CHECK_FALSE(config.dps.enrollment_groups[0].enabled);
    // Defaults: the real service's quota, a one-second poll.
    const auto defaults = parse_hub_config("", "hub.toml");
    CHECK(defaults.dps.registrations_per_minute == 200);
    CHECK(defaults.dps.enrollment_groups.empty());

    const auto error = [](const std::string& text) {
        try {
            parse_hub_config(text, "hub.toml");
        } catch (const ConfigError& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    CHECK(error("[dps]\nscope = \"x\"\n") == "hub.toml:2:9: dps.scope: unknown key");
    CHECK(error("[dps]\nregistrations_per_minute = -1\n") ==
          "hub.toml:2:28: dps.registrations_per_minute: must be a number >= 0 (0 = unlimited)");
    CHECK(error("[[enrollment_groups]]\nid = \"g\"\n") ==
          "hub.toml:1:1: enrollment_groups[0].primary_key: missing (or certificate_file)");
    // X.509 groups: a readable certificate, and no keys beside it.
    CHECK(error("[[enrollment_groups]]\nid = \"g\"\ncertificate_file = \"/nonexistent.pem\"\n") ==
          "hub.toml:3:20: enrollment_groups[0].certificate_file: /nonexistent.pem holds no PEM "
          "certificate");
    CHECK(
        error("[[enrollment_groups]]\nid = \"g\"\ncertificate_file = \"c.pem\"\nprimary_key = \"" +
              kGroupKey + "\"\n") ==
        "hub.toml:1:1: enrollment_groups[0]: certificate_file (X.509) or keys, not both");
    CHECK(error("[[enrollment_groups]]\nid = \"g\"\nprimary_key = \"!!\"\n") ==
          "hub.toml:3:15: enrollment_groups[0].primary_key: not valid base64");
    CHECK(error("[[enrollment_groups]]\nid = \"g\"\nprimary_key = \"" + kGroupKey +
                "\"\n[[enrollment_groups]]\nid = \"g\"\nprimary_key = \"" + kGroupKey + "\"\n") ==
          "hub.toml:4:1: enrollment_groups: duplicate id \"g\"");
}
