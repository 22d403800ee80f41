// Microsoft's official Azure IoT device SDK for Node.js (azure-iot-device + azure-iot-device-mqtt,
// pinned in package-lock.json), unmodified, against hubsim over MQTT/TLS and MQTT over WSS:
// connect, telemetry with properties, twin get and reported patch, a desired update, a direct
// method, a C2D message, and SAS token renewal with a short TTL (the SDK reconnects without
// re-subscribing, so the hub must keep the session's subscriptions).
#include <doctest/doctest.h>

#include <filesystem>
#include <thread>

#include "harness/process.hpp"
#include "hubsim_fixture/hubsim_fixture.hpp"

namespace {

using namespace hubgate::test;
namespace fs = std::filesystem;

const fs::path kSdkDir = fs::path(HUBGATE_SOURCE_DIR) / "test" / "sdk";

enum class Transport { Mqtt, MqttWs };

// The node script driving the SDK as device "dev1", and the "SDK <event> <json>" lines it prints.
class SdkDevice {
  public:
    SdkDevice(const HubsimFixture& hub, Transport transport, int token_ttl = 3600,
              int token_margin = 900) {
        REQUIRE_MESSAGE(fs::exists(kSdkDir / "node_modules" / "azure-iot-device"),
                        "run `npm ci` in test/sdk (scripts/install-deps.sh does)");
        const auto& device = hub.device("dev1");
        // MQTT: GatewayHostName carries the port. WSS: the SDK dials 443 and the script's
        // agent redirects to the hub's WSS port.
        const std::string gateway = transport == Transport::Mqtt
                                        ? "127.0.0.1:" + std::to_string(hub.mqtts_port())
                                        : "127.0.0.1";
        node_ = std::make_unique<Process>(
            std::vector<std::string>{NODE_EXECUTABLE, (kSdkDir / "device_sdk_check.js").string()},
            std::map<std::string, std::string>{
                {"HUBSIM_CONNECTION_STRING", "HostName=" + hub.hostname() + ";DeviceId=dev1" +
                                                 ";SharedAccessKey=" + device.primary_key +
                                                 ";GatewayHostName=" + gateway},
                {"HUBSIM_CA", hub.ca_file().string()},
                {"HUBSIM_TRANSPORT", transport == Transport::Mqtt ? "mqtt" : "mqtt-ws"},
                {"HUBSIM_WSS_PORT", std::to_string(hub.wss_port())},
                {"HUBSIM_TOKEN_TTL", std::to_string(token_ttl)},
                {"HUBSIM_TOKEN_MARGIN", std::to_string(token_margin)}},
            kSdkDir.string());
    }

    Process& process() { return *node_; }

    // The JSON of the next "SDK <event>" line (after the last one read) whose JSON satisfies
    // `match`; null when none came within `timeout`.
    json next(const std::string& event, const std::function<bool(const json&)>& match = {},
              std::chrono::milliseconds timeout = 20s) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        const std::string needle = "SDK " + event;
        while (std::chrono::steady_clock::now() < deadline) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (!node_->wait_for_output_after(read_, needle, left))
                break;
            const auto output = node_->output();
            const auto start = output.find(needle, read_);
            const auto end = output.find('\n', start);
            if (end == std::string::npos) {
                node_->wait_for_output_after(start, "\n", 2s);
                continue;
            }
            read_ = end + 1;
            auto rest = output.substr(start + needle.size(), end - start - needle.size());
            if (!rest.empty() && rest[0] != ' ')
                continue;  // another event with this prefix
            auto value = rest.empty() ? json(true) : json::parse(rest.substr(1), nullptr, false);
            if (value.is_discarded())
                value = rest.substr(1);
            if (!match || match(value))
                return value;
        }
        return nullptr;
    }

  private:
    std::unique_ptr<Process> node_;
    size_t read_ = 0;
};

HubsimOptions one_device() {
    HubsimOptions options;
    options.devices = {{.id = "dev1"}};
    return options;
}

// Invokes "echo" until the SDK's method subscription is in place (404 until then), bounded.
HubsimResponse invoke_echo(const HubsimFixture& hub, const json& payload) {
    HubsimResponse reply;
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    do {
        reply = hub.invoke_method("dev1", "echo", payload, 10);
        if (reply.status != 404)
            break;
        std::this_thread::sleep_for(50ms);
    } while (std::chrono::steady_clock::now() < deadline);
    return reply;
}

void check_method(const HubsimFixture& hub, SdkDevice& sdk, int marker) {
    const auto reply = invoke_echo(hub, {{"marker", marker}});
    INFO(reply.text);
    CHECK(reply.status == 200);
    CHECK(reply.body["status"] == 200);
    CHECK(reply.body["payload"] == json{{"echo", {{"marker", marker}}}});
    CHECK_FALSE(sdk.next("method", [&](const json& m) { return m["payload"]["marker"] == marker; })
                    .is_null());
}

void check_c2d(const HubsimFixture& hub, SdkDevice& sdk, const std::string& text) {
    const auto sent = hub.send_c2d(
        "dev1", {.payload = text, .properties = {{"k", "v/1"}}, .message_id = text + "-id"});
    REQUIRE(sent.ok());
    const auto received = sdk.next("c2d", [&](const json& m) { return m["data"] == text; });
    REQUIRE_FALSE(received.is_null());
    CHECK(received["properties"]["k"] == "v/1");
    CHECK(received["messageId"] == text + "-id");
}

void check_full_flow(Transport transport) {
    HubsimFixture hub(one_device());
    SdkDevice sdk(hub, transport);
    INFO(sdk.process().output());
    // Twin GET answered (the script prints the desired $version it got), then the set-up done.
    const auto got_twin = sdk.next("twin", {}, 60s);
    REQUIRE_FALSE(got_twin.is_null());
    CHECK(got_twin["desiredVersion"] == 1);
    REQUIRE_FALSE(sdk.next("ready").is_null());
    CHECK(hub.wait_for_connected("dev1"));

    // Telemetry with system and application properties.
    const auto messages = hub.wait_for_telemetry("dev1", 1);
    REQUIRE(messages.size() == 1);
    CHECK(json::parse(messages[0]["payload"].get<std::string>()) == json{{"temperature", 21.5}});
    CHECK(messages[0]["properties"]["sdk-prop"] == "yes");
    CHECK(messages[0]["properties"]["with space"] == "a/b&c");
    CHECK(messages[0]["systemProperties"]["$.mid"] == "sdk-message-1");
    CHECK(messages[0]["systemProperties"]["$.ct"] == "application/json");

    // The reported patch, seen by the service.
    const auto twin = hub.get_twin("dev1");
    CHECK(twin.body["properties"]["reported"]["sdkStatus"] == "online");
    CHECK(twin.body["properties"]["reported"]["transport"] ==
          (transport == Transport::Mqtt ? "mqtt" : "mqtt-ws"));

    // A desired update pushed to the device, with its $version.
    REQUIRE(hub.patch_twin("dev1", {{"properties", {{"desired", {{"sdkCheck", 42}}}}}}).ok());
    const auto desired = sdk.next("desired", [](const json& d) { return d.contains("sdkCheck"); });
    REQUIRE_FALSE(desired.is_null());
    CHECK(desired["sdkCheck"] == 42);
    CHECK(desired.contains("$version"));

    check_method(hub, sdk, 1);
    check_c2d(hub, sdk, "c2d-hello");
    CHECK(sdk.next("error", {}, 10ms).is_null());
}

void check_token_renewal(Transport transport) {
    HubsimFixture hub(one_device());
    // Tokens live 10 s and are renewed 5 s before expiry: a renewal (a reconnect) every 5 s.
    SdkDevice sdk(hub, transport, 10, 5);
    INFO(sdk.process().output());
    REQUIRE_FALSE(sdk.next("ready", {}, 60s).is_null());
    REQUIRE_FALSE(sdk.next("token-renewed", {}, 30s).is_null());
    // The renewal reconnected the device...
    bool reconnected = false;
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (!reconnected && std::chrono::steady_clock::now() < deadline) {
        for (const auto& d : hub.connections().body.value("devices", json::array())) {
            reconnected =
                reconnected || (d.value("deviceId", "") == "dev1" && d.value("connects", 0) >= 2 &&
                                d.value("connected", false));
        }
        if (!reconnected)
            std::this_thread::sleep_for(50ms);
    }
    REQUIRE(reconnected);
    // ...and methods and C2D still reach it: the SDK did not re-subscribe, the hub kept the
    // subscriptions of its CleanSession=0 session.
    check_method(hub, sdk, 2);
    check_c2d(hub, sdk, "after-renewal");
    CHECK(sdk.next("error", {}, 10ms).is_null());
}

TEST_CASE("official Node SDK over MQTT: telemetry, twin, desired, method, C2D") {
    check_full_flow(Transport::Mqtt);
}

TEST_CASE("official Node SDK over MQTT-WS: telemetry, twin, desired, method, C2D") {
    check_full_flow(Transport::MqttWs);
}

TEST_CASE("official Node SDK over MQTT: token renewal keeps the session working") {
    check_token_renewal(Transport::Mqtt);
}

TEST_CASE("official Node SDK over MQTT-WS: token renewal keeps the session working") {
    check_token_renewal(Transport::MqttWs);
}

}  // namespace
