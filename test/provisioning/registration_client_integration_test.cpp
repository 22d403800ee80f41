// The DPS registration client (gateway/provisioning/registration_client.cpp) against the DPS of
// `hubsim run`, over TLS on the sessions' libmosquitto connections.
#include <doctest/doctest.h>

#include "gateway/provisioning/registration_client.hpp"
#include "gateway/transport/mosquitto_upstream.hpp"
#include "hubgate/iothub/dps_credentials.hpp"
#include "hubsim_fixture/hubsim_fixture.hpp"

using hubgate::test::HubsimFixture;
using hubgate::test::HubsimOptions;
using nlohmann::json;
using namespace hubgate::provisioning;
using namespace std::chrono_literals;

namespace {

const std::string kScope = "0ne0000A1B2";
const std::string kGroupKey = HubsimFixture::random_key();
const std::string kDisabledKey = HubsimFixture::random_key();

// `poll_after_seconds`: the retry-after of hubsim's "assigning" answers.
HubsimOptions dps_options(int poll_after_seconds = 1) {
    HubsimOptions options;
    options.extra_toml = "[dps]\nid_scope = \"" + kScope +
                         "\"\nregistrations_per_minute = 0\npoll_after_seconds = " +
                         std::to_string(poll_after_seconds) +
                         "\n\n"
                         "[[enrollment_groups]]\nid = \"sensors\"\nprimary_key = \"" +
                         kGroupKey +
                         "\"\n\n[[enrollment_groups]]\nid = \"retired\"\nprimary_key = \"" +
                         kDisabledKey + "\"\nstatus = \"disabled\"\n";
    return options;
}

RegistrationSettings settings_for(const HubsimFixture& hub) {
    RegistrationSettings settings;
    settings.server_uri = "ssl://127.0.0.1:" + std::to_string(hub.dps_port());
    settings.id_scope = kScope;
    settings.ca_file = hub.ca_file().string();
    settings.client_version = "hubgate-test/1";
    settings.deadline = 60s;
    return settings;
}

RegistrationResult run(const HubsimFixture&, const std::string& id, const std::string& group_key,
                       const RegistrationSettings& settings, const std::string& payload = {}) {
    hubgate::transport::MosquittoUpstreamFactory factory;
    std::atomic<bool> stopping{false};
    const auto key = hubgate::iothub::derive_device_key(group_key, id);
    REQUIRE(key);
    return register_device(factory, settings, {id, *key, payload}, stopping);
}

}  // namespace

TEST_CASE("a device of an enrollment group is assigned and created in the hub's registry") {
    HubsimFixture hub(dps_options());
    REQUIRE(hub.get_device("sensor-1").status == 404);
    const auto result = run(hub, "sensor-1", kGroupKey, settings_for(hub), R"({"site":"north"})");
    INFO(result.message);
    REQUIRE(result.outcome == RegistrationOutcome::Assigned);
    CHECK(result.answer.assigned_hub == hub.hostname());
    CHECK(result.answer.device_id == "sensor-1");
    CHECK(result.answer.substatus == "initialAssignment");
    CHECK_FALSE(result.answer.created.empty());
    const auto device = hub.get_device("sensor-1");
    CHECK(device.status == 200);
    CHECK(device.body["authentication"]["symmetricKey"]["primaryKey"] ==
          *hubgate::iothub::derive_device_key(kGroupKey, "sensor-1"));
    // The payload reached DPS as custom allocation data.
    const auto dps = hub.request("GET", "/hubsim/dps");
    REQUIRE(dps.ok());
    CHECK(dps.text.find("north") != std::string::npos);

    // Registering again is answered with the same hub.
    const auto again = run(hub, "sensor-1", kGroupKey, settings_for(hub));
    REQUIRE(again.outcome == RegistrationOutcome::Assigned);
    CHECK(again.answer.assigned_hub == hub.hostname());
    CHECK(again.answer.substatus == "deviceDataMigrated");
}

TEST_CASE("a disabled group, refused registrations and a wrong key end clearly") {
    HubsimFixture hub(dps_options());
    auto result = run(hub, "old-1", kDisabledKey, settings_for(hub));
    CHECK(result.outcome == RegistrationOutcome::Disabled);
    CHECK(hub.get_device("old-1").status == 404);

    const std::string wrong_key = HubsimFixture::random_key();
    result = run(hub, "sensor-2", wrong_key, settings_for(hub));
    CHECK(result.outcome == RegistrationOutcome::Error);
    CHECK(result.message.find("CONNACK 5") != std::string::npos);
    CHECK(result.message.find(wrong_key) == std::string::npos);

    REQUIRE(hub.request("PUT", "/hubsim/dps/faults", json{{"refuseRegistrations", true}}).ok());
    result = run(hub, "sensor-3", kGroupKey, settings_for(hub));
    CHECK(result.outcome == RegistrationOutcome::Failed);
    CHECK(hub.get_device("sensor-3").status == 404);
}

TEST_CASE("a 429 is waited out as retry-after says, then the registration goes on") {
    // Polls answered at once, so the burst is spent quickly.
    HubsimFixture hub(dps_options(0));
    // Twelve registrations a minute: a burst of twelve, then one every 5 seconds; the
    // thirteenth waits.
    REQUIRE(hub.request("PUT", "/hubsim/dps/faults", json{{"registrationsPerMinute", 12}}).ok());
    const auto settings = settings_for(hub);
    unsigned throttled = 0;
    for (int i = 0; i < 13; ++i) {
        const auto result = run(hub, "burst-" + std::to_string(i), kGroupKey, settings);
        INFO(result.message);
        CHECK(result.outcome == RegistrationOutcome::Assigned);
        throttled += result.throttled;
    }
    CHECK(throttled >= 1);
}
