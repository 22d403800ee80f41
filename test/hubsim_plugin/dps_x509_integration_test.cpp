// X.509 attestation in hubsim's DPS: enrollment groups with a signing certificate (config and
// REST), registrations on the DPS listener that asks for a client certificate (dps_x509= on
// the ready line) with a leaf whose CN is the registration id, and the assigned device then
// connecting to the hub with the same certificate as a certificateAuthority device.
#include <doctest/doctest.h>

#include <regex>

#include "harness/scratch_dir.hpp"
#include "harness/test_pki.hpp"
#include "hubgate/iothub/sas_token.hpp"
#include "hubsim_fixture/hubsim_fixture.hpp"
#include "raw_mqtt_client.hpp"

using hubgate::test::HubsimFixture;
using hubgate::test::HubsimOptions;
using hubgate::test::HubsimPolicy;
using hubgate::test::ScratchDir;
using hubgate::test::TestPki;
using hubsim::test::RawMqttClient;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

const std::string kX509Scope = "0ne0000C3D4";
const std::string kX509EnrollmentKey = HubsimFixture::random_key();

std::string x509_dps_username(const std::string& id) {
    return kX509Scope + "/registrations/" + id +
           "/api-version=2019-03-31&ClientVersion=hubsim-test";
}

// hubsim with X.509 groups "cameras" (enabled) and "retired" (disabled), each with its CA.
struct X509Dps {
    ScratchDir dir{"hubsim-dps-x509"};
    TestPki pki{dir.path() / "pki"};
    std::unique_ptr<HubsimFixture> hub;

    X509Dps() {
        pki.make_ca("cameras-ca", "cameras CA");
        pki.make_ca("retired-ca", "retired CA");
        HubsimOptions options;
        options.policies = {HubsimPolicy{
            "provisioningserviceowner", kX509EnrollmentKey, {"EnrollmentRead", "EnrollmentWrite"}}};
        options.extra_toml = "[dps]\nid_scope = \"" + kX509Scope +
                             "\"\nregistrations_per_minute = 0\npoll_after_seconds = 0\n\n"
                             "[[enrollment_groups]]\nid = \"cameras\"\ncertificate_file = \"" +
                             pki.cert("cameras-ca").string() +
                             "\"\n\n[[enrollment_groups]]\nid = \"retired\"\n"
                             "certificate_file = \"" +
                             pki.cert("retired-ca").string() + "\"\nstatus = \"disabled\"\n";
        hub = std::make_unique<HubsimFixture>(options);
    }

    // The last DPS log entry of `id` (GET /hubsim/dps).
    json last_log(const std::string& id) {
        const auto dps = hub->request("GET", "/hubsim/dps");
        json found;
        for (const auto& entry : dps.body["log"]) {
            if (entry["registrationId"] == id)
                found = entry;
        }
        return found;
    }
};

// A registration over the client-certificate DPS listener, with `certificate` of the PKI.
class X509Registration {
  public:
    X509Registration(X509Dps& dps, const std::string& id, const std::string& certificate)
        : id_(id),
          mqtt_(dps.hub->dps_x509_port(), dps.hub->ca_file().string(),
                dps.pki.cert(certificate).string(), dps.pki.key(certificate).string()) {
        connack_ = mqtt_.connect(id, x509_dps_username(id), "");
    }
    std::optional<int> connack() const { return connack_; }

    // Register, then poll once (poll_after_seconds = 0): the operation's final answer.
    json provision() {
        REQUIRE(mqtt_.subscribe({{"$dps/registrations/res/#", 1}}) == std::vector<int>{1});
        const auto accepted = request("$dps/registrations/PUT/iotdps-register/?$rid=1",
                                      json{{"registrationId", id_}}.dump());
        REQUIRE(accepted.first == 202);
        return request("$dps/registrations/GET/iotdps-get-operationstatus/?$rid=2&operationId=" +
                           accepted.second["operationId"].get<std::string>(),
                       "")
            .second;
    }

  private:
    std::pair<int, json> request(const std::string& topic, const std::string& payload) {
        mqtt_.publish(topic, payload, 1);
        const auto packet = mqtt_.next_publish(10s);
        REQUIRE(packet);
        if (packet->qos() == 1)
            mqtt_.puback(packet->packet_id);
        static const std::regex shape(R"(\$dps/registrations/res/(\d+)/\?.*)");
        std::smatch m;
        REQUIRE(std::regex_match(packet->topic, m, shape));
        return {std::stoi(m[1]), json::parse(packet->payload)};
    }

    std::string id_;
    RawMqttClient mqtt_;
    std::optional<int> connack_;
};

std::string x509_enrollment_token() {
    return hubgate::iothub::make_sas_token({"hubsim-dps.azure-devices-provisioning.net",
                                            kX509EnrollmentKey, "provisioningserviceowner",
                                            hubgate::iothub::expiry_after(1h)});
}

}  // namespace

TEST_CASE("an X.509 group's leaf registers, is assigned and connects to the hub with it") {
    X509Dps dps;
    CHECK(dps.hub->dps_x509_port() > 0);
    CHECK(dps.hub->process().output().find(
              " dps_x509=" + std::to_string(dps.hub->dps_x509_port())) != std::string::npos);
    dps.pki.issue("cam-7", "cameras-ca", "cam-7");
    X509Registration registration(dps, "cam-7", "cam-7");
    REQUIRE(registration.connack() == 0);
    const auto outcome = registration.provision();
    CHECK(outcome["status"] == "assigned");
    CHECK(outcome["registrationState"]["assignedHub"] == dps.hub->hostname());
    CHECK(outcome["registrationState"]["deviceId"] == "cam-7");
    const auto device = dps.hub->get_device("cam-7");
    REQUIRE(device.status == 200);
    CHECK(device.body["authentication"]["type"] == "certificateAuthority");
    // The same certificate authenticates the device at the hub.
    RawMqttClient hub_session(dps.hub->x509_port(), dps.hub->ca_file().string(),
                              dps.pki.cert("cam-7").string(), dps.pki.key("cam-7").string());
    CHECK(hub_session.connect("cam-7", dps.hub->device_username("cam-7"), "") == 0);
}

TEST_CASE("a DPS X.509 registration with another CA's certificate or another CN is refused") {
    X509Dps dps;
    // Trusted by the listener (hubsim's own CA), but no group's signing certificate issued it.
    dps.pki.issue_with("cam-8", dps.hub->ca_file(), dps.hub->ca_file().parent_path() / "ca.key",
                       "cam-8");
    CHECK(X509Registration(dps, "cam-8", "cam-8").connack() == 5);
    CHECK(dps.last_log("cam-8")["reason"] ==
          "client certificate issued by no X.509 enrollment group");
    // The group's CA issued it, for another registration id.
    dps.pki.issue("cam-9-cert", "cameras-ca", "cam-other");
    CHECK(X509Registration(dps, "cam-9", "cam-9-cert").connack() == 5);
    CHECK(dps.last_log("cam-9")["reason"] == "client certificate CN is not the registration id");
    CHECK_FALSE(dps.hub->get_device("cam-9").ok());
}

TEST_CASE("a registration in a disabled X.509 group ends disabled and creates no device") {
    X509Dps dps;
    dps.pki.issue("old-1", "retired-ca", "old-1");
    X509Registration registration(dps, "old-1", "old-1");
    REQUIRE(registration.connack() == 0);
    CHECK(registration.provision()["status"] == "disabled");
    CHECK(dps.hub->get_device("old-1").status == 404);
}

TEST_CASE("an X.509 group created through the REST API takes registrations at once") {
    X509Dps dps;
    dps.pki.make_ca("doors-ca", "doors CA");
    const auto pem = hubgate::test::read_file(dps.pki.cert("doors-ca"));
    const json body{{"enrollmentGroupId", "doors"},
                    {"attestation",
                     {{"type", "x509"},
                      {"x509", {{"signingCertificates", {{"primary", {{"certificate", pem}}}}}}}}},
                    {"provisioningStatus", "enabled"}};
    const auto created =
        dps.hub->request("PUT", "/enrollmentGroups/doors", body, x509_enrollment_token());
    REQUIRE(created.status == 200);
    const auto& shown = created.body["attestation"];
    CHECK(shown["type"] == "x509");
    CHECK(shown["x509"]["signingCertificates"]["primary"]["info"]["subjectName"] == "CN=doors CA");
    CHECK(shown["x509"]["signingCertificates"]["primary"]["certificate"].is_null());
    const json no_certificate{{"attestation", {{"type", "x509"}}}};
    CHECK(dps.hub->request("PUT", "/enrollmentGroups/bad", no_certificate, x509_enrollment_token())
              .status == 400);

    dps.pki.issue("door-1", "doors-ca", "door-1");
    X509Registration registration(dps, "door-1", "door-1");
    REQUIRE(registration.connack() == 0);
    CHECK(registration.provision()["status"] == "assigned");
    RawMqttClient hub_session(dps.hub->x509_port(), dps.hub->ca_file().string(),
                              dps.pki.cert("door-1").string(), dps.pki.key("door-1").string());
    CHECK(hub_session.connect("door-1", dps.hub->device_username("door-1"), "") == 0);
}
