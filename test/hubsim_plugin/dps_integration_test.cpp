// The emulated Device Provisioning Service through `hubsim run`: the DPS MQTT dialect on its own
// listener, group enrollments, the registration quota, faults, the enrollment REST API and CLI.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <regex>

#include "harness/process.hpp"
#include "hubgate/iothub/sas_token.hpp"
#include "hubsim_fixture/hubsim_fixture.hpp"
#include "raw_mqtt_client.hpp"

using hubgate::test::HubsimFixture;
using hubgate::test::HubsimOptions;
using hubgate::test::HubsimPolicy;
using hubsim::test::RawMqttClient;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

const std::string kScope = "0ne0000A1B2";
const std::string kDpsHost = "hubsim-dps.azure-devices-provisioning.net";
const std::string kGroupKey = HubsimFixture::random_key();
const std::string kRetiredKey = HubsimFixture::random_key();
const std::string kEnrollmentKey = HubsimFixture::random_key();

HubsimOptions dps_options() {
    HubsimOptions options;
    options.policies = {HubsimPolicy{
        "provisioningserviceowner", kEnrollmentKey, {"EnrollmentRead", "EnrollmentWrite"}}};
    options.extra_toml = "[dps]\nid_scope = \"" + kScope +
                         "\"\nregistrations_per_minute = 0\npoll_after_seconds = 0\n\n"
                         "[[enrollment_groups]]\nid = \"sensors\"\nprimary_key = \"" +
                         kGroupKey +
                         "\"\n\n[[enrollment_groups]]\nid = \"retired\"\nprimary_key = \"" +
                         kRetiredKey + "\"\nstatus = \"disabled\"\n";
    return options;
}

std::string derived_key(const std::string& group_key, const std::string& id) {
    const auto key = hubgate::iothub::base64_decode(group_key);
    return hubgate::iothub::base64_encode(hubgate::iothub::hmac_sha256(*key, id));
}

std::string dps_username(const std::string& id, const std::string& scope = kScope) {
    return scope + "/registrations/" + id + "/api-version=2019-03-31&ClientVersion=hubsim-test%2F1";
}

std::string dps_token(const std::string& id, const std::string& group_key) {
    return hubgate::iothub::make_sas_token({kScope + "/registrations/" + id,
                                            derived_key(group_key, id), "registration",
                                            hubgate::iothub::expiry_after(1h)});
}

// One DPS answer: the status and retry-after from the topic, and the JSON body.
struct DpsAnswer {
    int status = 0;
    std::string request_id;
    std::optional<int> retry_after;
    json body;
};

class DpsClient {
  public:
    DpsClient(const HubsimFixture& hub, const std::string& id, const std::string& group_key)
        : id_(id), mqtt_(hub.dps_port(), hub.ca_file().string()) {
        REQUIRE(mqtt_.connect(id, dps_username(id), dps_token(id, group_key)) == 0);
        REQUIRE(mqtt_.subscribe({{"$dps/registrations/res/#", 1}}) == std::vector<int>{1});
    }

    DpsAnswer request(const std::string& topic, const std::string& payload) {
        mqtt_.publish(topic, payload, 1);
        const auto packet = mqtt_.next_publish(10s);
        REQUIRE(packet);
        if (packet->qos() == 1)
            mqtt_.puback(packet->packet_id);
        static const std::regex shape(
            R"(\$dps/registrations/res/(\d+)/\?\$rid=([^&]*)(&retry-after=(\d+))?)");
        std::smatch m;
        REQUIRE(std::regex_match(packet->topic, m, shape));
        DpsAnswer answer{std::stoi(m[1]), m[2], std::nullopt, json::parse(packet->payload)};
        if (m[4].matched)
            answer.retry_after = std::stoi(m[4]);
        return answer;
    }

    DpsAnswer register_device(const json& payload = nullptr) {
        json body{{"registrationId", id_}};
        if (!payload.is_null())
            body["payload"] = payload;
        return request("$dps/registrations/PUT/iotdps-register/?$rid=" + std::to_string(++rid_),
                       body.dump());
    }

    DpsAnswer poll(const std::string& operation_id) {
        return request("$dps/registrations/GET/iotdps-get-operationstatus/?$rid=" +
                           std::to_string(++rid_) + "&operationId=" + operation_id,
                       "");
    }

    // Register, then poll once: the operation's final answer.
    DpsAnswer provision() {
        const auto accepted = register_device();
        REQUIRE(accepted.status == 202);
        return poll(accepted.body["operationId"]);
    }

    RawMqttClient& mqtt() { return mqtt_; }

  private:
    std::string id_;
    RawMqttClient mqtt_;
    int rid_ = 0;
};

std::string enrollment_token(const std::string& resource = kDpsHost,
                             const std::string& policy = "provisioningserviceowner",
                             const std::string& key = kEnrollmentKey) {
    return hubgate::iothub::make_sas_token(
        {resource, key, policy, hubgate::iothub::expiry_after(1h)});
}

}  // namespace

TEST_CASE("hubsim run prints the DPS port on its ready line") {
    HubsimFixture hub(dps_options());
    CHECK(hub.dps_port() > 0);
    CHECK(hub.dps_port() != hub.mqtts_port());
    CHECK(hub.dps_port() != hub.https_port());
    const auto output = hub.process().output();
    CHECK(output.find(" hostname=" + hub.hostname() + " dps=" + std::to_string(hub.dps_port()) +
                      " ") != std::string::npos);
}

TEST_CASE("a device registers with a group-derived key, is created in the hub and sends") {
    HubsimFixture hub(dps_options());
    DpsClient dps(hub, "sensor-7", kGroupKey);
    const auto accepted = dps.register_device(json{{"site", "north"}});
    CHECK(accepted.status == 202);
    CHECK(accepted.request_id == "1");
    CHECK(accepted.retry_after == 0);
    CHECK(accepted.body["status"] == "assigning");
    const std::string operation_id = accepted.body["operationId"];
    CHECK_FALSE(operation_id.empty());

    CHECK(hub.request("GET", "/hubsim/dps").body["registrations"][0]["payload"] ==
          json{{"site", "north"}});
    const auto done = dps.poll(operation_id);
    CHECK(done.status == 200);
    CHECK(done.body["operationId"] == operation_id);
    CHECK(done.body["status"] == "assigned");
    const auto state = done.body["registrationState"];
    CHECK(state["registrationId"] == "sensor-7");
    CHECK(state["assignedHub"] == hub.hostname());
    CHECK(state["deviceId"] == "sensor-7");
    CHECK(state["status"] == "assigned");
    CHECK(state["substatus"] == "initialAssignment");
    CHECK(std::regex_match(state["createdDateTimeUtc"].get<std::string>(),
                           std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z)")));
    CHECK(state["etag"].is_string());

    // The registry holds the device with the derived key, which opens a hub session.
    const auto device = hub.get_device("sensor-7");
    REQUIRE(device.status == 200);
    CHECK(device.body["authentication"]["symmetricKey"]["primaryKey"] ==
          derived_key(kGroupKey, "sensor-7"));
    RawMqttClient session(hub.mqtts_port(), hub.ca_file().string());
    REQUIRE(session.connect("sensor-7", hub.device_username("sensor-7"),
                            hub.device_token("sensor-7", 1h, derived_key(kGroupKey, "sensor-7"))) ==
            0);
    session.publish("devices/sensor-7/messages/events/", "{\"t\":21}", 1);
    CHECK(session.wait_puback());
    CHECK(hub.wait_for_telemetry("sensor-7", 1).size() == 1);

    // Registering again reprovisions the same device, without taking over its hub session.
    const auto again = dps.provision();
    CHECK(again.body["registrationState"]["substatus"] == "deviceDataMigrated");
    CHECK(again.body["registrationState"]["createdDateTimeUtc"] == state["createdDateTimeUtc"]);
    session.publish("devices/sensor-7/messages/events/", "{\"t\":22}", 1);
    CHECK(session.wait_puback());
    CHECK(hub.wait_for_telemetry("sensor-7", 2).size() == 2);
    const auto dps_state = hub.request("GET", "/hubsim/dps").body;
    CHECK(dps_state["counters"]["assigned"] == 2);
    // The custom data of the last request, for tests of what a client sends.
    REQUIRE(dps_state["registrations"].size() == 1);
    CHECK(dps_state["registrations"][0]["registrationId"] == "sensor-7");
    CHECK(dps_state["registrations"][0]["payload"] == nullptr);
}

TEST_CASE("the DPS refuses CONNECTs outside its dialect and requests it does not know") {
    HubsimFixture hub(dps_options());
    const auto connack = [&](const std::string& id, const std::string& user,
                             const std::string& password, int port = 0) {
        RawMqttClient client(port ? port : hub.dps_port(), hub.ca_file().string());
        return client.connect(id, user, password);
    };
    CHECK(connack("s1", dps_username("s1"), dps_token("s1", kGroupKey)) == 0);
    CHECK(connack("s1", dps_username("s1", "0ne00000000"), dps_token("s1", kGroupKey)) == 5);
    CHECK(connack("s1", dps_username("s2"), dps_token("s1", kGroupKey)) == 5);
    CHECK(connack("s1", dps_username("s1"), dps_token("s1", HubsimFixture::random_key())) == 5);
    // Each endpoint speaks its own dialect only.
    CHECK(connack("s1", dps_username("s1"), dps_token("s1", kGroupKey), hub.mqtts_port()) == 5);
    CHECK(connack("s1", hub.device_username("s1"), "x") == 5);
    CHECK(hub.request("GET", "/hubsim/dps").body["counters"]["refusedConnects"] == 5);

    DpsClient dps(hub, "s1", kGroupKey);
    // Only the response filter may be subscribed.
    CHECK(dps.mqtt().subscribe({{"devices/s1/messages/devicebound/#", 1}}) ==
          std::vector<int>{0x80});
    // Polling an operation that does not exist: 404 in DPS's error shape.
    const auto unknown = dps.poll("5.0000.0000");
    CHECK(unknown.status == 404);
    CHECK(unknown.body["errorCode"] == 404201);
    CHECK(unknown.body.contains("trackingId"));
    // A body naming another registration id: 400.
    const auto other =
        dps.request("$dps/registrations/PUT/iotdps-register/?$rid=9", R"({"registrationId":"x"})");
    CHECK(other.status == 400);
    // Any other topic closes the connection.
    dps.mqtt().publish("devices/s1/messages/events/", "x", 1);
    CHECK(dps.mqtt().wait_closed());
    CHECK(hub.get_device("s1").status == 404);
}

TEST_CASE("registrations beyond the per-minute quota are answered 429 with retry-after") {
    HubsimFixture hub(dps_options());
    REQUIRE(hub.request("PUT", "/hubsim/dps/faults", json{{"registrationsPerMinute", 2}}).ok());
    DpsClient dps(hub, "s1", kGroupKey);
    CHECK(dps.register_device().status == 202);
    CHECK(dps.register_device().status == 202);
    const auto throttled = dps.register_device();
    CHECK(throttled.status == 429);
    CHECK(throttled.body["errorCode"] == 429001);
    REQUIRE(throttled.retry_after);
    CHECK(*throttled.retry_after >= 1);
    CHECK(*throttled.retry_after <= 30);
    CHECK(hub.request("GET", "/hubsim/dps").body["counters"]["throttled"] == 1);
    // 0 lifts the quota.
    REQUIRE(hub.request("PUT", "/hubsim/dps/faults", json{{"registrationsPerMinute", 0}}).ok());
    CHECK(dps.register_device().status == 202);
    CHECK(hub.request("PUT", "/hubsim/dps/faults", json{{"registrationsPerMinute", -1}}).status ==
          400);
}

TEST_CASE("a refused-registration fault ends registrations in status failed") {
    HubsimFixture hub(dps_options());
    REQUIRE(hub.request("PUT", "/hubsim/dps/faults", json{{"refuseRegistrations", true}}).ok());
    DpsClient dps(hub, "s1", kGroupKey);
    const auto failed = dps.provision();
    CHECK(failed.status == 200);
    CHECK(failed.body["status"] == "failed");
    CHECK(failed.body["registrationState"]["status"] == "failed");
    CHECK(failed.body["registrationState"]["errorCode"].is_number());
    CHECK(failed.body["registrationState"]["errorMessage"].is_string());
    CHECK(hub.get_device("s1").status == 404);
    REQUIRE(hub.request("PUT", "/hubsim/dps/faults", json{{"refuseRegistrations", false}}).ok());
    CHECK(dps.provision().body["status"] == "assigned");
}

TEST_CASE("a device of a disabled group gets status disabled and no identity") {
    HubsimFixture hub(dps_options());
    DpsClient dps(hub, "s9", kRetiredKey);
    const auto disabled = dps.provision();
    CHECK(disabled.body["status"] == "disabled");
    CHECK(disabled.body["registrationState"]["status"] == "disabled");
    CHECK_FALSE(disabled.body["registrationState"].contains("assignedHub"));
    CHECK(hub.get_device("s9").status == 404);
}

TEST_CASE("enrollment groups through the DPS service REST API, in DPS's shapes") {
    HubsimFixture hub(dps_options());
    const auto path = std::string("/enrollmentGroups/plant-b");
    const auto group_key = HubsimFixture::random_key();
    const json body{
        {"enrollmentGroupId", "plant-b"},
        {"attestation", {{"type", "symmetricKey"}, {"symmetricKey", {{"primaryKey", group_key}}}}},
        {"provisioningStatus", "enabled"}};
    // Tokens: scoped to the DPS host name, signed by a policy with EnrollmentWrite.
    CHECK(hub.request("PUT", path, body).status == 401);  // iothubowner: no Enrollment rights
    CHECK(hub.request("PUT", path, body, enrollment_token(hub.hostname())).status == 401);
    const auto created = hub.request("PUT", path, body, enrollment_token());
    REQUIRE(created.status == 200);
    CHECK(created.body["enrollmentGroupId"] == "plant-b");
    CHECK(created.body["attestation"]["type"] == "symmetricKey");
    CHECK(created.body["attestation"]["symmetricKey"]["primaryKey"] == group_key);
    CHECK(created.body["attestation"]["symmetricKey"]["secondaryKey"].is_string());  // generated
    CHECK(created.body["provisioningStatus"] == "enabled");
    CHECK(created.body["etag"].is_string());
    CHECK(created.body["createdDateTimeUtc"].is_string());
    const auto read = hub.request("GET", path, std::nullopt, enrollment_token());
    CHECK(read.status == 200);
    CHECK(read.body["etag"] == created.body["etag"]);

    {
        DpsClient dps(hub, "b-1", group_key);
        CHECK(dps.provision().body["status"] == "assigned");
    }
    json disabled = body;
    disabled["provisioningStatus"] = "disabled";
    CHECK(hub.request("PUT", path, disabled, enrollment_token()).status == 200);
    {
        DpsClient dps(hub, "b-2", group_key);
        CHECK(dps.provision().body["status"] == "disabled");
    }
    json x509 = body;
    x509["attestation"] = {{"type", "x509"}};
    CHECK(hub.request("PUT", path, x509, enrollment_token()).status == 400);
    CHECK(hub.request("GET", "/hubsim/service").body["badRequests"] == 1);
    CHECK(hub.request("DELETE", path, std::nullopt, enrollment_token()).status == 204);
    const auto gone = hub.request("GET", path, std::nullopt, enrollment_token());
    CHECK(gone.status == 404);
    CHECK(gone.body["errorCode"] == 404204);
    CHECK(hub.request("DELETE", path, std::nullopt, enrollment_token()).status == 404);
}

TEST_CASE("hubsim enrollment add creates a group devices can register with") {
    HubsimFixture hub(dps_options());
    const auto group_key = HubsimFixture::random_key();
    const auto added = hubgate::test::run(
        {HUBSIM_EXECUTABLE, "enrollment", "add", "cli-group", "--key", group_key, "-c",
         hub.config_file().string(), "--state-dir", hub.state_dir().string()},
        30s);
    CHECK(added.status == 0);
    CAPTURE(added.output);
    CHECK(added.output.find("\"enrollmentGroupId\": \"cli-group\"") != std::string::npos);
    DpsClient dps(hub, "c-1", group_key);
    CHECK(dps.provision().body["status"] == "assigned");
    const auto bad =
        hubgate::test::run({HUBSIM_EXECUTABLE, "enrollment", "add", "g", "--key", "!!", "-c",
                            hub.config_file().string(), "--state-dir", hub.state_dir().string()},
                           30s);
    CHECK(bad.status == 2);
}

namespace {

const std::string kHubB = "plant-b.azure-devices.net";
const std::string kSpreadKey = HubsimFixture::random_key();
const std::string kFixedKey = HubsimFixture::random_key();

// dps_options() with a second hub, a group hashed over both hubs and one static on hub B.
HubsimOptions two_hub_options() {
    auto options = dps_options();
    options.extra_toml += "\n[[enrollment_groups]]\nid = \"spread\"\nprimary_key = \"" +
                          kSpreadKey + "\"\nallocation_policy = \"hashed\"\niot_hubs = [\"" +
                          options.hostname + "\", \"" + kHubB +
                          "\"]\n\n[[enrollment_groups]]\nid = \"fixed\"\nprimary_key = \"" +
                          kFixedKey + "\"\nallocation_policy = \"static\"\niot_hub_host_name = \"" +
                          kHubB + "\"\n\n[[hubs]]\nhostname = \"" + kHubB + "\"\n";
    return options;
}

}  // namespace

TEST_CASE("a hashed group spreads its devices over its hubs, each registered in its hub only") {
    HubsimFixture hub(two_hub_options());
    const auto token_b = hub.service_token_for(kHubB);
    std::map<std::string, std::string> assigned;
    std::map<std::string, int> per_hub;
    for (int i = 0; i < 12; ++i) {
        const auto id = "s-" + std::to_string(i);
        DpsClient dps(hub, id, kSpreadKey);
        const auto done = dps.provision();
        REQUIRE(done.body["status"] == "assigned");
        assigned[id] = done.body["registrationState"]["assignedHub"];
        ++per_hub[assigned[id]];
        // Registering again lands on the same hub: the hash depends on the id alone.
        CHECK(dps.provision().body["registrationState"]["assignedHub"] == assigned[id]);
    }
    CHECK(per_hub.size() == 2);
    CHECK(per_hub[hub.hostname()] >= 1);
    CHECK(per_hub[kHubB] >= 1);
    for (const auto& [id, hub_name] : assigned) {
        CAPTURE(id);
        const bool in_b = hub_name == kHubB;
        CHECK(hub.get_device(id).status == (in_b ? 404 : 200));
        CHECK(hub.request("GET", "/devices/" + id, std::nullopt, token_b).status ==
              (in_b ? 200 : 404));
    }
    // A device of hub B then connects to hub B's listener with its derived key.
    const auto b_device = std::find_if(assigned.begin(), assigned.end(),
                                       [](const auto& entry) { return entry.second == kHubB; });
    REQUIRE(b_device != assigned.end());
    const auto& id = b_device->first;
    RawMqttClient session(hub.extra_hub_port(kHubB), hub.ca_file().string());
    CHECK(session.connect(id, kHubB + "/" + id + "/?api-version=2021-04-12",
                          hubgate::iothub::make_sas_token(
                              {kHubB + "/devices/" + id, derived_key(kSpreadKey, id), std::nullopt,
                               hubgate::iothub::expiry_after(1h)})) == 0);
}

TEST_CASE("a static group assigns every device to its hub") {
    HubsimFixture hub(two_hub_options());
    for (const auto* id : {"f-1", "f-2", "f-3"}) {
        DpsClient dps(hub, id, kFixedKey);
        CHECK(dps.provision().body["registrationState"]["assignedHub"] == kHubB);
        CHECK(hub.get_device(id).status == 404);
    }
}

TEST_CASE("enrollment groups name their hubs in DPS's REST shapes, and only hubs hubsim serves") {
    HubsimFixture hub(two_hub_options());
    const auto read =
        hub.request("GET", "/enrollmentGroups/spread", std::nullopt, enrollment_token());
    CHECK(read.body["allocationPolicy"] == "hashed");
    CHECK(read.body["iotHubs"] == json::array({hub.hostname(), kHubB}));
    // A group with no hubs named: the [hub], as before.
    CHECK(hub.request("GET", "/enrollmentGroups/sensors", std::nullopt, enrollment_token())
              .body["iotHubs"] == json::array({hub.hostname()}));

    const json group{
        {"attestation", {{"type", "symmetricKey"}, {"symmetricKey", {{"primaryKey", kFixedKey}}}}},
        {"allocationPolicy", "static"},
        {"iotHubHostName", kHubB}};
    const auto created = hub.request("PUT", "/enrollmentGroups/rest", group, enrollment_token());
    REQUIRE(created.status == 200);
    CHECK(created.body["allocationPolicy"] == "static");
    CHECK(created.body["iotHubs"] == json::array({kHubB}));
    CHECK(created.body["iotHubHostName"] == kHubB);

    json unknown = group;
    unknown["iotHubHostName"] = "nowhere.azure-devices.net";
    const auto refused = hub.request("PUT", "/enrollmentGroups/bad", unknown, enrollment_token());
    CHECK(refused.status == 400);
    CHECK(refused.body["errorCode"] == 400004);
    json geo = group;
    geo["allocationPolicy"] = "geoLatency";
    CHECK(hub.request("PUT", "/enrollmentGroups/bad", geo, enrollment_token()).status == 400);
    CHECK(hub.request("GET", "/enrollmentGroups/bad", std::nullopt, enrollment_token()).status ==
          404);
}
