// IoT Hub topic building and parsing, and CONNECT settings per auth mode.
#include <doctest/doctest.h>

#include <variant>

#include "gateway/auth/sas_token.hpp"
#include "gateway/session/connect_settings.hpp"
#include "gateway/session/iothub_topics.hpp"

using namespace hubgate::session;
using namespace std::chrono_literals;

TEST_CASE("property bags encode names and values and keep the system prefix") {
    CHECK(encode_property_bag({}) == "");
    CHECK(encode_property_bag({{"$.ct", "application/json"}, {"site", "a b&c=d"}}) ==
          "$.ct=application%2Fjson&site=a%20b%26c%3Dd");
    CHECK(telemetry_topic("dev1", {}) == "devices/dev1/messages/events/");
    CHECK(telemetry_topic("dev1", {{"k", "v"}}) == "devices/dev1/messages/events/k=v");
    CHECK(telemetry_topic("dev1", {{"$.ct", "application/json"}, {"s e", "a b&c=d"}}) ==
          "devices/dev1/messages/events/$.ct=application%2Fjson&s%20e=a%20b%26c%3Dd");
}

TEST_CASE("property bags round-trip - and malformed ones are refused") {
    const Properties props{{"$.mid", "m/1"}, {"name with space", "x%y"}, {"empty", ""}};
    const auto decoded = decode_property_bag(encode_property_bag(props));
    REQUIRE(decoded);
    CHECK(*decoded == props);
    CHECK_FALSE(decode_property_bag("a=%zz"));
    const auto lone = decode_property_bag("flag&x=1");
    REQUIRE(lone);
    CHECK(lone->at(0) == std::pair<std::string, std::string>{"flag", ""});
}

TEST_CASE("username carries the api-version and an optional model id") {
    CHECK(mqtt_username("hub.example", "dev1", "2021-04-12", "") ==
          "hub.example/dev1/?api-version=2021-04-12");
    CHECK(mqtt_username("hub.example", "dev1", "2021-04-12", "dtmi:com:example:x;1") ==
          "hub.example/dev1/?api-version=2021-04-12&model-id=dtmi:com:example:x;1");
}

TEST_CASE("twin and method topics") {
    CHECK(twin_get_topic("7") == "$iothub/twin/GET/?$rid=7");
    CHECK(twin_patch_reported_topic("8") == "$iothub/twin/PATCH/properties/reported/?$rid=8");
    CHECK(method_response_topic(504, "abc") == "$iothub/methods/res/504/?$rid=abc");
    CHECK(c2d_filter("d") == "devices/d/messages/devicebound/#");
}

TEST_CASE("downlink topics are classified") {
    const auto twin = parse_downlink_topic("d", "$iothub/twin/res/204/?$rid=5&$version=12");
    REQUIRE(std::holds_alternative<TwinResponseTopic>(twin));
    CHECK(std::get<TwinResponseTopic>(twin).status == 204);
    CHECK(std::get<TwinResponseTopic>(twin).rid == "5");
    CHECK(std::get<TwinResponseTopic>(twin).version == 12);

    const auto desired =
        parse_downlink_topic("d", "$iothub/twin/PATCH/properties/desired/?$version=3");
    REQUIRE(std::holds_alternative<DesiredPatchTopic>(desired));
    CHECK(std::get<DesiredPatchTopic>(desired).version == 3);

    const auto method = parse_downlink_topic("d", "$iothub/methods/POST/reboot/?$rid=1a");
    REQUIRE(std::holds_alternative<MethodRequestTopic>(method));
    CHECK(std::get<MethodRequestTopic>(method).name == "reboot");
    CHECK(std::get<MethodRequestTopic>(method).rid == "1a");

    const auto c2d = parse_downlink_topic(
        "d", "devices/d/messages/devicebound/%24.mid=m1&%24.to=%2Fdevices%2Fd&k=v");
    REQUIRE(std::holds_alternative<C2dTopic>(c2d));
    CHECK(std::get<C2dTopic>(c2d).properties ==
          Properties{{"$.mid", "m1"}, {"$.to", "/devices/d"}, {"k", "v"}});
}

TEST_CASE("malformed or foreign downlink topics are unknown - with a reason") {
    for (const char* topic : {"$iothub/twin/res/abc/?$rid=1", "$iothub/twin/res/200/?x=1",
                              "$iothub/methods/POST//?$rid=1", "$iothub/methods/POST/m/?x=1",
                              "devices/other/messages/devicebound/", "random/topic",
                              "devices/d/messages/devicebound/a=%g1"}) {
        CAPTURE(topic);
        const auto parsed = parse_downlink_topic("d", topic);
        REQUIRE(std::holds_alternative<UnknownTopic>(parsed));
        CHECK_FALSE(std::get<UnknownTopic>(parsed).reason.empty());
    }
}

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
const std::string kKey = hubgate::auth::base64_encode("0123456789abcdef0123456789abcdef");
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
    const auto token = hubgate::auth::parse_sas_token(connect.request.password);
    REQUIRE(token);
    CHECK(token->resource_uri == "hub.example/devices/dev1");
    CHECK(token->policy == "gateway");
    CHECK(token->expiry == 1'800'000'600);
    CHECK(hubgate::auth::verify_sas_signature(*token, kKey));
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
        hubgate::auth::parse_sas_token(std::get<DeviceConnect>(made).request.password);
    REQUIRE(token);
    CHECK_FALSE(token->policy);
    CHECK(hubgate::auth::verify_sas_signature(*token, kKey));

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
