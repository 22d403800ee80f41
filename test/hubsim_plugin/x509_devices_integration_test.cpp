// X.509 devices through `hubsim run`: the listener that asks for a client certificate (x509= on
// the ready line), devices known by the thumbprint of a self-signed certificate ("selfSigned")
// or by any certificate a registered CA issued them ("certificateAuthority", CN = device id), in
// the config and through the registry API. Every refusal is CONNACK 5 with its reason logged.
#include <doctest/doctest.h>

#include "harness/scratch_dir.hpp"
#include "harness/test_pki.hpp"
#include "hubsim_fixture/hubsim_fixture.hpp"
#include "raw_mqtt_client.hpp"

using hubgate::test::HubsimFixture;
using hubgate::test::HubsimOptions;
using hubgate::test::ScratchDir;
using hubgate::test::TestPki;
using hubsim::test::RawMqttClient;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

// A fleet CA registered with the hub, a CA it does not know, and device certificates.
struct X509Hub {
    ScratchDir dir{"hubsim-x509"};
    TestPki pki{dir.path() / "pki"};
    std::unique_ptr<HubsimFixture> hub;

    X509Hub() {
        pki.make_ca("fleet-ca", "fleet CA");
        pki.make_ca("stranger-ca", "some other CA");
        pki.self_signed("cam-self", "cam-self");
        pki.issue("cam-ca", "fleet-ca", "cam-ca");
        pki.issue("cam-ca-as-other", "fleet-ca", "someone-else");
        HubsimOptions options;
        options.devices = {{.id = "sas-dev"}};
        options.extra_toml = "[[certificate_authorities]]\nname = \"fleet\"\nfile = \"" +
                             pki.cert("fleet-ca").string() +
                             "\"\n\n[[devices]]\nid = \"cam-self\"\nx509_certificate = \"" +
                             pki.cert("cam-self").string() +
                             "\"\n\n[[devices]]\nid = \"cam-ca\"\n"
                             "authentication = \"certificateAuthority\"\n";
        hub = std::make_unique<HubsimFixture>(options);
    }

    // CONNACK of a certificate-only CONNECT on the client-certificate listener (nullopt: the
    // connection closed without one).
    std::optional<int> connack(const std::string& device, const std::string& certificate) {
        RawMqttClient client(hub->x509_port(), hub->ca_file().string(),
                             pki.cert(certificate).string(), pki.key(certificate).string());
        return client.connect(device, hub->device_username(device), "");
    }

    std::string refusal(const std::string& device) {
        std::string reason;
        const auto connections = hub->connections();  // alive while the loop reads it
        for (const auto& entry : connections.body["log"]) {
            if (entry["deviceId"] == device && entry["event"] == "refused")
                reason = entry["reason"];
        }
        return reason;
    }
};

}  // namespace

TEST_CASE("hubsim run prints the client-certificate port on its ready line and in ports.json") {
    X509Hub x509;
    auto& hub = *x509.hub;
    CHECK(hub.x509_port() > 0);
    CHECK(hub.x509_port() != hub.mqtts_port());
    CHECK(hub.x509_port() != hub.dps_port());
    CHECK(hub.process().output().find(" x509=" + std::to_string(hub.x509_port()) + " ") !=
          std::string::npos);
    const auto ports = json::parse(hubgate::test::read_file(hub.state_dir() / "ports.json"));
    CHECK(ports["x509"] == hub.x509_port());
}

TEST_CASE("a selfSigned device connects with the certificate whose thumbprint is registered") {
    X509Hub x509;
    CHECK(x509.connack("cam-self", "cam-self") == 0);
    const auto device = x509.hub->get_device("cam-self");
    REQUIRE(device.status == 200);
    CHECK(device.body["authentication"]["type"] == "selfSigned");
    CHECK(device.body["authentication"]["x509Thumbprint"]["primaryThumbprint"] ==
          x509.pki.thumbprint("cam-self"));
    CHECK(device.body["authentication"]["symmetricKey"]["primaryKey"].is_null());
}

TEST_CASE(
    "a certificateAuthority device connects with any certificate the registered CA issued "
    "for its id") {
    X509Hub x509;
    CHECK(x509.connack("cam-ca", "cam-ca") == 0);
    const auto device = x509.hub->get_device("cam-ca");
    REQUIRE(device.status == 200);
    CHECK(device.body["authentication"]["type"] == "certificateAuthority");
    CHECK(device.body["authentication"]["x509Thumbprint"]["primaryThumbprint"].is_null());
    // Registered at run time through the registry API, in IoT Hub's shape.
    x509.pki.issue("cam-new", "fleet-ca", "cam-new");
    const auto added = x509.hub->put_device(
        "cam-new",
        {{"deviceId", "cam-new"}, {"authentication", {{"type", "certificateAuthority"}}}});
    CHECK(added.status == 200);
    CHECK(x509.connack("cam-new", "cam-new") == 0);
}

TEST_CASE("a selfSigned device added through the registry API connects by its thumbprint") {
    X509Hub x509;
    // A certificate the listener trusts (issued by hubsim's own CA), registered by thumbprint.
    x509.pki.issue_with("cam-api", x509.hub->state_dir() / "tls/ca.pem",
                        x509.hub->state_dir() / "tls/ca.key", "cam-api");
    const json identity{{"deviceId", "cam-api"},
                        {"authentication",
                         {{"type", "selfSigned"},
                          {"x509Thumbprint",
                           {{"primaryThumbprint", "00"},
                            {"secondaryThumbprint", x509.pki.thumbprint("cam-api")}}}}}};
    CHECK(x509.hub->put_device("cam-api", identity).status == 200);
    CHECK(x509.connack("cam-api", "cam-api") == 0);
    const json no_thumbprint{{"authentication", {{"type", "selfSigned"}}}};
    CHECK(x509.hub->put_device("cam-bad", no_thumbprint).status == 400);
}

TEST_CASE("a wrong certificate is refused with CONNACK 5 and its reason in the connection log") {
    X509Hub x509;
    // The fleet CA issued it, but for another id.
    CHECK(x509.connack("cam-ca", "cam-ca-as-other") == 5);
    CHECK(x509.refusal("cam-ca") == "client certificate CN is not the device id");
    // The listener trusts hubsim's own CA, which is not a registered CA.
    x509.pki.issue_with("cam-ca-by-hub", x509.hub->state_dir() / "tls/ca.pem",
                        x509.hub->state_dir() / "tls/ca.key", "cam-ca");
    CHECK(x509.connack("cam-ca", "cam-ca-by-hub") == 5);
    CHECK(x509.refusal("cam-ca") == "client certificate not issued by a registered CA");
    // Another device's certificate: its thumbprint is not the one registered.
    CHECK(x509.connack("cam-self", "cam-ca") == 5);
    CHECK(x509.refusal("cam-self") == "client certificate thumbprint does not match");
    // A SAS device has no certificate to match.
    CHECK(x509.connack("sas-dev", "cam-ca") == 5);
    CHECK(x509.refusal("sas-dev") == "device has no X.509 thumbprint");
    // A certificate no trusted CA issued does not get past the TLS handshake.
    x509.pki.issue("cam-stranger", "stranger-ca", "cam-ca");
    std::optional<int> answer;
    try {
        answer = x509.connack("cam-ca", "cam-stranger");
    } catch (const std::runtime_error&) {
        answer.reset();  // refused during the handshake (TLS 1.2)
    }
    CHECK_FALSE(answer.has_value());
}

TEST_CASE(
    "a certificateAuthority device needs a certificate: its SAS-less CONNECT on the SAS "
    "listener is refused") {
    X509Hub x509;
    RawMqttClient client(x509.hub->mqtts_port(), x509.hub->ca_file().string());
    CHECK(client.connect("cam-ca", x509.hub->device_username("cam-ca"), "") == 5);
    CHECK(x509.refusal("cam-ca") == "no password and no client certificate");
}
