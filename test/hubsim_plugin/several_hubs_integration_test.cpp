// Several hubs in one `hubsim run` ([[hubs]]): each with its own listener and registry, devices
// authenticated against the registry their username's host name names, and the service API
// serving the hub its token is scoped to.
#include <doctest/doctest.h>

#include <fstream>

#include "hubgate/iothub/sas_token.hpp"
#include "hubsim_fixture/hubsim_fixture.hpp"
#include "raw_mqtt_client.hpp"

using hubgate::test::HubsimDevice;
using hubgate::test::HubsimFixture;
using hubgate::test::HubsimOptions;
using hubsim::test::RawMqttClient;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

const std::string kHubA = "plant-a.azure-devices.net";
const std::string kSecondHub = "plant-b.azure-devices.net";
const std::string kKeyA = HubsimFixture::random_key();
const std::string kKeyB = HubsimFixture::random_key();

// Hub A is [hub] with device "a1"; hub B a [[hubs]] entry with device "b1".
HubsimOptions two_hubs() {
    HubsimOptions options;
    options.hostname = kHubA;
    options.devices = {HubsimDevice{"a1", kKeyA}};
    options.extra_toml = "[[hubs]]\nhostname = \"" + kSecondHub +
                         "\"\n[[hubs.devices]]\nid = \"b1\"\nprimary_key = \"" + kKeyB + "\"\n";
    return options;
}

std::string username(const std::string& hub, const std::string& id) {
    return hub + "/" + id + "/?api-version=2021-04-12";
}

std::string token(const std::string& hub, const std::string& id, const std::string& key) {
    return hubgate::iothub::make_sas_token({hubgate::iothub::device_resource_uri(hub, id), key,
                                            std::nullopt, hubgate::iothub::expiry_after(1h)});
}

}  // namespace

TEST_CASE("hubsim run prints each extra hub's port last on its ready line and in ports.json") {
    HubsimFixture hub(two_hubs());
    const int port_b = hub.extra_hub_port(kSecondHub);
    CHECK(port_b > 0);
    CHECK(port_b != hub.mqtts_port());
    CHECK(port_b != hub.dps_port());
    CHECK(port_b != hub.x509_port());
    CHECK(port_b != hub.dps_x509_port());
    CHECK(hub.process().output().find(" dps_x509=" + std::to_string(hub.dps_x509_port()) +
                                      " hubs=" + kSecondHub + ":" + std::to_string(port_b) +
                                      "\n") != std::string::npos);
    std::ifstream file(hub.state_dir() / "ports.json");
    const auto ports = json::parse(file);
    CHECK(ports["hubs"] == json::array({{{"hostname", kSecondHub}, {"mqtts", port_b}}}));
    CHECK(ports["hostname"] == kHubA);
}

TEST_CASE("a device is authenticated against the registry of the hub its username names") {
    HubsimFixture hub(two_hubs());
    const int port_b = hub.extra_hub_port(kSecondHub);
    const auto connack = [&](int port, const std::string& hub_name, const std::string& id,
                             const std::string& key) {
        RawMqttClient client(port, hub.ca_file().string());
        return client.connect(id, username(hub_name, id), token(hub_name, id, key));
    };
    CHECK(connack(hub.mqtts_port(), kHubA, "a1", kKeyA) == 0);
    CHECK(connack(port_b, kSecondHub, "b1", kKeyB) == 0);
    // Each device is in one registry: naming the other hub is refused.
    CHECK(connack(port_b, kSecondHub, "a1", kKeyA) == 5);
    CHECK(connack(hub.mqtts_port(), kHubA, "b1", kKeyB) == 5);
    CHECK(connack(port_b, "nowhere.azure-devices.net", "b1", kKeyB) == 5);

    // b1's telemetry is hub B's, read with a token for hub B; hub A records nothing.
    RawMqttClient b1(port_b, hub.ca_file().string());
    REQUIRE(b1.connect("b1", username(kSecondHub, "b1"), token(kSecondHub, "b1", kKeyB)) == 0);
    b1.publish("devices/b1/messages/events/", "{\"t\":1}", 1);
    CHECK(b1.wait_puback());
    const auto token_b = hub.service_token_for(kSecondHub);
    const auto in_b = hub.request("GET", "/hubsim/telemetry?wait=5", std::nullopt, token_b);
    REQUIRE(in_b.status == 200);
    REQUIRE(in_b.body["messages"].size() == 1);
    CHECK(in_b.body["messages"][0]["deviceId"] == "b1");
    CHECK(hub.telemetry().body["messages"].empty());
    // A device of another hub's topic space is still refused (the hub's topic rules).
    b1.publish("devices/a1/messages/events/", "x", 1);
    CHECK(b1.wait_closed());
}

TEST_CASE("the service API serves the hub the token is scoped to") {
    HubsimFixture hub(two_hubs());
    const auto token_b = hub.service_token_for(kSecondHub);
    const auto ids = [](const json& devices) {
        std::vector<std::string> out;
        for (const auto& device : devices)
            out.push_back(device["deviceId"]);
        return out;
    };
    CHECK(ids(hub.list_devices().body) == std::vector<std::string>{"a1"});
    CHECK(ids(hub.request("GET", "/devices", std::nullopt, token_b).body) ==
          std::vector<std::string>{"b1"});
    const json identity{
        {"deviceId", "b2"},
        {"authentication", {{"type", "sas"}, {"symmetricKey", {{"primaryKey", kKeyB}}}}}};
    CHECK(hub.request("PUT", "/devices/b2", identity, token_b).ok());
    CHECK(hub.request("GET", "/devices/b2", std::nullopt, token_b).status == 200);
    CHECK(hub.get_device("b2").status == 404);
    // The new device connects to hub B only.
    RawMqttClient b2(hub.extra_hub_port(kSecondHub), hub.ca_file().string());
    CHECK(b2.connect("b2", username(kSecondHub, "b2"), token(kSecondHub, "b2", kKeyB)) == 0);
    CHECK(hub.request("GET", "/hubsim/connections", std::nullopt, token_b)
              .body["devices"]
              .dump()
              .find("\"b2\"") != std::string::npos);
    // A token for a host name no hub has is refused.
    CHECK(hub.request("GET", "/devices", std::nullopt,
                      hub.service_token_for("nowhere.azure-devices.net"))
              .status == 401);
}
