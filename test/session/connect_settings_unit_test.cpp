// CONNECT settings per auth mode (the topics are the IoT Hub library's: test/iothub).
#include <doctest/doctest.h>

#include <variant>

#include "gateway/session/connect_settings.hpp"
#include "hubgate/iothub/sas_token.hpp"

using namespace hubgate::session;
using namespace std::chrono_literals;

TEST_CASE("server URI follows transport and connect_host") {
    SessionOptions options;
    options.hub_hostname = "hub.example";
    CHECK(server_uri(options) == "ssl://hub.example:8883");
    options.transport = Transport::MqttWebSocket;
    CHECK(server_uri(options) == "wss://hub.example:443/$iothub/websocket");
    options.connect_host = "127.0.0.1:9443";
    CHECK(server_uri(options) == "wss://127.0.0.1:9443/$iothub/websocket");
    options.transport = Transport::Mqtt;
    options.connect_host = "[::1]";
    CHECK(server_uri(options) == "ssl://[::1]:8883");
}

namespace {
const std::string kKey = hubgate::iothub::base64_encode("0123456789abcdef0123456789abcdef");
const WallTime kNow{std::chrono::seconds(1'800'000'000)};
}  // namespace

TEST_CASE("policy auth signs a token with skn for the hub name - even with connect_host") {
    SessionOptions options;
    options.hub_hostname = "hub.example";
    options.connect_host = "127.0.0.1:1234";
    options.ca_file = "/ca.pem";
    options.auth.mode = AuthMode::Policy;
    options.auth.policy_name = "gateway";
    options.auth.policy_key = kKey;
    options.auth.token_ttl = 600s;
    const auto made = make_device_connect(options, "dev1", kNow);
    REQUIRE(std::holds_alternative<DeviceConnect>(made));
    const auto& connect = std::get<DeviceConnect>(made);
    CHECK(connect.request.username == "hub.example/dev1/?api-version=2021-04-12");
    CHECK(connect.request.tls.ca_file == "/ca.pem");
    CHECK(connect.token_expiry == kNow + 600s);
    const auto token = hubgate::iothub::parse_sas_token(connect.request.password);
    REQUIRE(token);
    CHECK(token->resource_uri == "hub.example/devices/dev1");
    CHECK(token->policy == "gateway");
    CHECK(token->expiry == 1'800'000'600);
    CHECK(hubgate::iothub::verify_sas_signature(*token, kKey));
}

TEST_CASE("a device's own hub names, signs and places its CONNECT - the others keep the hub's") {
    SessionOptions options;
    options.hub_hostname = "hub.example";
    options.connect_host = "127.0.0.1:1234";
    options.auth.mode = AuthMode::DeviceKey;
    options.auth.device_key = [](const std::string&) { return std::optional<std::string>(kKey); };
    options.device_hub = [](const std::string& id) -> std::optional<DeviceHub> {
        if (id == "moved")
            return DeviceHub{"plant-b.example", "127.0.0.1:4242"};
        if (id == "far")
            return DeviceHub{"plant-c.example", ""};
        return std::nullopt;
    };
    const auto connect_of = [&](const std::string& id) {
        auto made = make_device_connect(options, id, kNow);
        REQUIRE(std::holds_alternative<DeviceConnect>(made));
        return std::get<DeviceConnect>(made);
    };
    const auto moved = connect_of("moved");
    CHECK(moved.request.username == "plant-b.example/moved/?api-version=2021-04-12");
    CHECK(hubgate::iothub::parse_sas_token(moved.request.password)->resource_uri ==
          "plant-b.example/devices/moved");
    CHECK(moved.server_uri == "ssl://127.0.0.1:4242");
    CHECK(moved.hub_hostname == "plant-b.example");
    CHECK(connect_of("far").server_uri == "ssl://plant-c.example:8883");
    const auto home = connect_of("home");
    CHECK(home.request.username == "hub.example/home/?api-version=2021-04-12");
    CHECK(home.server_uri == "ssl://127.0.0.1:1234");
}

TEST_CASE("device-key auth signs with the device's own key and no skn") {
    SessionOptions options;
    options.hub_hostname = "hub.example";
    options.auth.mode = AuthMode::DeviceKey;
    options.auth.device_key = [](const std::string& id) -> std::optional<std::string> {
        if (id == "dev1") {
            return kKey;
        }
        return std::nullopt;
    };
    const auto made = make_device_connect(options, "dev1", kNow);
    REQUIRE(std::holds_alternative<DeviceConnect>(made));
    const auto token =
        hubgate::iothub::parse_sas_token(std::get<DeviceConnect>(made).request.password);
    REQUIRE(token);
    CHECK_FALSE(token->policy);
    CHECK(hubgate::iothub::verify_sas_signature(*token, kKey));

    const auto missing = make_device_connect(options, "dev2", kNow);
    REQUIRE(std::holds_alternative<std::string>(missing));
    CHECK(std::get<std::string>(missing).find("no key") != std::string::npos);
}

TEST_CASE("a key that is not base64 is a reason - not an exception") {
    SessionOptions options;
    options.hub_hostname = "hub.example";
    options.auth.policy_key = "not base64!";
    const auto made = make_device_connect(options, "dev1", kNow);
    CHECK(std::holds_alternative<std::string>(made));
}

TEST_CASE("X.509 auth sends the device's certificate and no password") {
    SessionOptions options;
    options.hub_hostname = "hub.example";
    options.auth.mode = AuthMode::X509;
    options.auth.device_cert = [](const std::string& id) -> std::optional<X509Files> {
        return X509Files{"/certs/" + id + ".pem", "/certs/" + id + ".key"};
    };
    const auto made = make_device_connect(options, "dev1", kNow);
    REQUIRE(std::holds_alternative<DeviceConnect>(made));
    const auto& connect = std::get<DeviceConnect>(made);
    CHECK(connect.request.password.empty());
    CHECK(connect.request.tls.cert_file == "/certs/dev1.pem");
    CHECK(connect.request.tls.key_file == "/certs/dev1.key");
    CHECK_FALSE(connect.token_expiry);
}
