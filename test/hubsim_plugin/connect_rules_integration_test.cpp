// CONNECT rules against the real plugin: who may connect, refusal codes, session end.
#include <doctest/doctest.h>

#include "plugin_broker.hpp"

using namespace hubsim::test;
using namespace std::chrono_literals;

namespace {

std::optional<int> connack(PluginBroker& hub, const std::string& client_id,
                           const std::string& username, const std::string& password,
                           int protocol = 4) {
    RawMqttClient client(hub.mqtt_port(), hub.ca_file());
    return client.connect(client_id, username, password, true, protocol);
}

}  // namespace

TEST_CASE("a device connects with its primary key, its secondary key or a DeviceConnect policy") {
    PluginBroker hub;
    auto u = PluginBroker::username("dev1");
    CHECK(connack(hub, "dev1", u, hub.token("dev1")) == 0);
    CHECK(connack(hub, "dev1", u, hub.token("dev1", 1h, hub.secondary_key())) == 0);
    CHECK(connack(hub, "dev1", u, hub.token("dev1", 1h, hub.policy_key(), "device")) == 0);
    // SDKs append query parameters in any order; model-id is not URL-encoded.
    std::string sdk_username =
        std::string(PluginBroker::kHostname) +
        "/dev1/?DeviceClientType=azure-iot-device%2F1.18.4&api-version=2021-04-12"
        "&model-id=dtmi:com:example:Thermostat;1";
    CHECK(connack(hub, "dev1", sdk_username, hub.token("dev1")) == 0);
}

TEST_CASE("bad credentials get CONNACK 5 and are recorded as refused with their reason") {
    PluginBroker hub;
    auto u = PluginBroker::username("dev1");
    struct Case {
        const char* name;
        std::string client_id, username, password;
        const char* reason;
    };
    std::vector<Case> cases{
        {"expired", "dev1", u, hub.token("dev1", -10s), "SAS token expired"},
        {"wrong signature", "dev1", u, hub.token("dev1", 1h, hub.device_key("dev2")),
         "SAS signature does not match"},
        {"wrong resource", "dev1", u, hub.token("dev2"), "SAS token for another resource"},
        {"policy without DeviceConnect", "dev1", u,
         hub.token("dev1", 1h, hub.policy_key(), "reader"), "policy lacks DeviceConnect"},
        {"unknown device", "ghost", PluginBroker::username("ghost"), hub.token("ghost"),
         "unknown device"},
        {"disabled device", "off1", PluginBroker::username("off1"), hub.token("off1"),
         "device disabled"},
        {"client id differs from username", "dev2", u, hub.token("dev2"),
         "username device id differs from client id"},
        {"username without api-version", "dev1",
         std::string(PluginBroker::kHostname) + "/dev1/?x=1", hub.token("dev1"),
         "malformed username"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.name);
        CHECK(connack(hub, c.client_id, c.username, c.password) == 5);
        CHECK(hub.last_event(c.client_id, "refused").value("reason", "") == c.reason);
    }
    // MQTT 5 is refused too (reason 0x87, not authorized): the hub speaks 3.1.1 only.
    CHECK(connack(hub, "dev1", u, hub.token("dev1"), 5) == 0x87);
}

TEST_CASE("X.509: a device authenticates by its client certificate's thumbprint") {
    PluginBroker hub(PluginBroker::Options{.x509_listener = true});
    {
        RawMqttClient client(hub.x509_port(), hub.ca_file(), hub.device_cert(),
                             hub.device_cert_key());
        CHECK(client.connect("x509dev", PluginBroker::username("x509dev"), "") == 0);
    }
    {
        // The same certificate does not authenticate another device.
        RawMqttClient client(hub.x509_port(), hub.ca_file(), hub.device_cert(),
                             hub.device_cert_key());
        CHECK(client.connect("dev1", PluginBroker::username("dev1"), "") == 5);
        CHECK(hub.last_event("dev1", "refused")["reason"] == "device has no X.509 thumbprint");
    }
    {
        // Without a certificate (the SAS listener never asks for one) there is nothing to check.
        RawMqttClient client(hub.mqtt_port(), hub.ca_file());
        CHECK(client.connect("x509dev", PluginBroker::username("x509dev"), "") == 5);
        CHECK(hub.last_event("x509dev", "refused")["reason"] ==
              "no password and no client certificate");
    }
}

TEST_CASE("the session is closed when its token expires, and recorded as expired") {
    PluginBroker hub;
    RawMqttClient client(hub.mqtt_port(), hub.ca_file());
    REQUIRE(client.connect("dev1", PluginBroker::username("dev1"), hub.token("dev1", 2s)) == 0);
    CHECK(client.wait_closed(10s));
    CHECK(hub.wait_for_event("dev1", "expired"));
}

TEST_CASE("a second connection for a device closes the first, recorded as replaced") {
    PluginBroker hub;
    auto first = hub.connect_device("dev1");
    auto second = hub.connect_device("dev1");
    CHECK(first->wait_closed(5s));
    CHECK(hub.wait_for_event("dev1", "replaced"));
    auto state = hub.call("GET", "/hubsim/connections").body;
    CHECK(state["devices"][0]["deviceId"] == "dev1");
    CHECK(state["devices"][0]["connected"] == true);
    // The new connection still works.
    second->publish("devices/dev1/messages/events/", "x", 1);
    CHECK(second->wait_puback());
}

TEST_CASE("faults: refused connects, connect rate limit (throttled) and kick") {
    PluginBroker hub;
    auto u = PluginBroker::username("dev1");
    REQUIRE(hub.call("PUT", "/hubsim/faults", {{"refuseConnects", true}}).status == 200);
    CHECK(connack(hub, "dev1", u, hub.token("dev1")) == 5);
    CHECK(hub.last_event("dev1", "refused")["reason"] == "refused by fault injection");

    // One connection per 1000 s: the first passes, the next is throttled.
    REQUIRE(hub.call("PUT", "/hubsim/faults", {{"refuseConnects", false}, {"connectRate", 0.001}})
                .status == 200);
    CHECK(connack(hub, "dev1", u, hub.token("dev1")) == 0);
    CHECK(connack(hub, "dev1", u, hub.token("dev1")) == 5);
    CHECK(hub.last_event("dev1", "refused")["reason"] == "throttled");

    REQUIRE(hub.call("PUT", "/hubsim/faults", {{"connectRate", 0}}).status == 200);
    auto device = hub.connect_device("dev2");
    auto kicked = hub.call("POST", "/hubsim/devices/dev2/kick");
    CHECK(kicked.status == 200);
    CHECK(device->wait_closed(5s));
    CHECK(hub.wait_for_event("dev2", "kicked"));
}
