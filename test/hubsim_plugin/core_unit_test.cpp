// Unit tests of hubsim's pure logic (hubsim/common): no broker, no sockets.
#include <doctest/doctest.h>

#include "hubgate/iothub/sas_token.hpp"
#include "hubsim/common/api_versions.hpp"
#include "hubsim/common/c2d_queue.hpp"
#include "hubsim/common/connect_rate_limiter.hpp"
#include "hubsim/common/device_auth.hpp"
#include "hubsim/common/device_topics.hpp"
#include "hubsim/common/device_username.hpp"
#include "hubsim/common/hub_config.hpp"
#include "hubsim/common/property_bag.hpp"
#include "hubsim/common/telemetry_log.hpp"
#include "hubsim/common/twin_document.hpp"

using namespace hubsim;
using nlohmann::json;

namespace {

const std::string kHub = "hubsim.azure-devices.net";
const std::string kDeviceKey = hubgate::iothub::base64_encode("device-primary-key-0123456789abc");
const std::string kSecondaryKey =
    hubgate::iothub::base64_encode("device-secondary-key-0123456789a");
const std::string kPolicyKey = hubgate::iothub::base64_encode("policy-key-0123456789abcdefghijk");
constexpr int64_t kNow = 1'800'000'000;

DeviceIdentity device(bool enabled = true) {
    return DeviceIdentity{"dev1", kDeviceKey, kSecondaryKey, "", enabled};
}

std::vector<AccessPolicy> policies() {
    return {AccessPolicy{"device", kPolicyKey, {"DeviceConnect"}},
            AccessPolicy{"reader", kPolicyKey, {"RegistryRead"}}};
}

std::string token(const std::string& uri, const std::string& key, int64_t expiry,
                  std::optional<std::string> policy = std::nullopt) {
    return hubgate::iothub::make_sas_token({uri, key, policy, expiry});
}

ConnectAttempt attempt(std::string password, std::string client = "dev1",
                       std::string username = kHub + "/dev1/?api-version=2021-04-12") {
    return ConnectAttempt{client, username, password, std::nullopt, std::nullopt};
}

std::string refusal(const ConnectAttempt& a, bool enabled = true) {
    auto d = device(enabled);
    return authenticate_device(a, kHub, &d, policies(), kNow).refusal;
}

}  // namespace

TEST_CASE("api-version: a version IoT Hub knows is accepted, any other refused") {
    for (const char* known : {"2016-11-14", "2018-06-30", "2020-09-30", "2021-04-12"}) {
        CAPTURE(known);
        CHECK(is_hub_api_version(known));
    }
    for (const char* unknown : {"", "1", "2099-01-01", "2021-04-12x", "2021-4-12", "2019-03-31"}) {
        CAPTURE(unknown);
        CHECK_FALSE(is_hub_api_version(unknown));
    }
    const auto uri = kHub + "/devices/dev1";
    CHECK(refusal(attempt(token(uri, kDeviceKey, kNow + 60), "dev1",
                          kHub + "/dev1/?api-version=2099-01-01")) == "unsupported api-version");
    CHECK(refusal(attempt(token(uri, kDeviceKey, kNow + 60), "dev1",
                          kHub + "/dev1/?api-version=2018-06-30&DeviceClientType=x")) == "");
}

TEST_CASE("username: extra query parameters in any order, model-id unencoded") {
    auto parsed = parse_device_username(
        kHub +
        "/dev1/?DeviceClientType=azure-iot-device%2F1.18.4&api-version=2021-04-12"
        "&model-id=dtmi:com:example:Thermostat;1");
    REQUIRE(parsed);
    CHECK(parsed->hostname == kHub);
    CHECK(parsed->device_id == "dev1");
    CHECK(parsed->query.at("api-version") == "2021-04-12");
    CHECK(parsed->query.at("DeviceClientType") == "azure-iot-device/1.18.4");
    CHECK(parsed->query.at("model-id") == "dtmi:com:example:Thermostat;1");
}

TEST_CASE("username: malformed shapes are refused") {
    for (const char* bad : {"", "hub", "hub/dev1", "hub/dev1/?", "hub//?api-version=1",
                            "/dev1/?api-version=1", "hub/dev1/?DeviceClientType=x"}) {
        CAPTURE(bad);
        CHECK_FALSE(parse_device_username(bad));
    }
}

TEST_CASE("device auth: primary key, secondary key and DeviceConnect policy are accepted") {
    std::string uri = kHub + "/devices/dev1";
    auto d = device();
    auto primary =
        authenticate_device(attempt(token(uri, kDeviceKey, kNow + 60)), kHub, &d, policies(), kNow);
    CHECK(primary.ok());
    CHECK(primary.token_expiry == kNow + 60);
    CHECK(refusal(attempt(token(uri, kSecondaryKey, kNow + 60))).empty());
    CHECK(refusal(attempt(token(uri, kPolicyKey, kNow + 60, "device"))).empty());
    CHECK(refusal(attempt(token(kHub, kPolicyKey, kNow + 60, "device"))).empty());
}

TEST_CASE("device auth: each bad credential is refused with its reason") {
    std::string uri = kHub + "/devices/dev1";
    CHECK(refusal(attempt(token(uri, kDeviceKey, kNow - 1))) == "SAS token expired");
    CHECK(refusal(attempt(token(uri, kPolicyKey, kNow + 60))) == "SAS signature does not match");
    CHECK(refusal(attempt(token(kHub + "/devices/dev2", kDeviceKey, kNow + 60))) ==
          "SAS token for another resource");
    CHECK(refusal(attempt(token(uri, kPolicyKey, kNow + 60, "reader"))) ==
          "policy lacks DeviceConnect");
    CHECK(refusal(attempt(token(uri, kPolicyKey, kNow + 60, "nobody"))) == "unknown policy");
    CHECK(refusal(attempt(token(uri, kDeviceKey, kNow + 60)), false) == "device disabled");
    CHECK(refusal(attempt("not a token")) == "malformed SAS token");
    CHECK(refusal(attempt(token(uri, kDeviceKey, kNow + 60), "dev2")) ==
          "username device id differs from client id");
    CHECK(refusal(attempt(token(uri, kDeviceKey, kNow + 60), "dev1",
                          "other.net/dev1/?api-version=1")) == "username names another hub");
    auto a = attempt(token(uri, kDeviceKey, kNow + 60));
    CHECK(authenticate_device(a, kHub, nullptr, policies(), kNow).refusal == "unknown device");
}

TEST_CASE("device auth: X.509 thumbprint, SHA-1 or SHA-256") {
    DeviceIdentity x509{"dev1", "", "", "00aa11bb", true};
    auto a = attempt("");
    a.password.reset();
    CHECK(authenticate_device(a, kHub, &x509, policies(), kNow).refusal ==
          "no password and no client certificate");
    a.client_thumbprint_sha1 = "ffff";
    a.client_thumbprint_sha256 = "00aa11bb";
    CHECK(authenticate_device(a, kHub, &x509, policies(), kNow).ok());
    a.client_thumbprint_sha256 = "eeee";
    CHECK(authenticate_device(a, kHub, &x509, policies(), kNow).refusal ==
          "client certificate thumbprint does not match");
}

TEST_CASE("device auth: X.509 secondary thumbprint") {
    DeviceIdentity x509{"dev1", "", "", "00aa11bb", true, "ccdd"};
    auto a = attempt("");
    a.password.reset();
    a.client_thumbprint_sha1 = "ccdd";
    a.client_thumbprint_sha256 = "eeee";
    CHECK(authenticate_device(a, kHub, &x509, policies(), kNow).ok());
}

TEST_CASE("device auth: certificateAuthority, a registered CA's certificate with CN = device id") {
    DeviceIdentity ca_device{"dev1", "", "", "", true, "", true};
    auto a = attempt("");
    a.password.reset();
    CHECK(authenticate_device(a, kHub, &ca_device, policies(), kNow).refusal ==
          "no password and no client certificate");
    a.client_thumbprint_sha1 = "ffff";
    a.client_thumbprint_sha256 = "eeee";
    a.client_common_name = "dev1";
    CHECK(authenticate_device(a, kHub, &ca_device, policies(), kNow).refusal ==
          "client certificate not issued by a registered CA");
    a.client_issued_by_registered_ca = true;
    CHECK(authenticate_device(a, kHub, &ca_device, policies(), kNow).ok());
    a.client_common_name = "dev2";
    CHECK(authenticate_device(a, kHub, &ca_device, policies(), kNow).refusal ==
          "client certificate CN is not the device id");
    // A thumbprint device is not authenticated by a CA's certificate.
    DeviceIdentity self_signed{"dev1", "", "", "00aa11bb", true};
    a.client_common_name = "dev1";
    CHECK(authenticate_device(a, kHub, &self_signed, policies(), kNow).refusal ==
          "client certificate thumbprint does not match");
}

TEST_CASE("property bag: URL-decoded, system and application properties split") {
    auto bag = parse_property_bag(
        "%24.mid=m%201&%24.ct=application%2Fjson&color=r%26d&iothub-creation-time-utc=t&empty=");
    REQUIRE(bag);
    CHECK(bag->system.at("$.mid") == "m 1");
    CHECK(bag->system.at("$.ct") == "application/json");
    CHECK(bag->system.at("iothub-creation-time-utc") == "t");
    CHECK(bag->application.at("color") == "r&d");
    CHECK(bag->application.at("empty") == "");
    CHECK_FALSE(parse_property_bag("a=%zz"));
    CHECK_FALSE(parse_property_bag("=value"));
}

TEST_CASE("property bag: a C2D topic percent-encodes '/' and '$' and round-trips") {
    PropertyBag bag;
    bag.system["$.to"] = "/devices/dev1/messages/deviceBound";
    bag.system["$.mid"] = "m1";
    bag.application["k y"] = "v&w";
    const std::string topic = c2d_topic("dev1", bag);
    const std::string_view prefix = "devices/dev1/messages/devicebound/";
    REQUIRE(topic.starts_with(prefix));
    const std::string encoded = topic.substr(prefix.size());
    CHECK(encoded == "%24.mid=m1&%24.to=%2Fdevices%2Fdev1%2Fmessages%2FdeviceBound&k%20y=v%26w");
    auto back = parse_property_bag(encoded);
    REQUIRE(back);
    CHECK(back->system == bag.system);
    CHECK(back->application == bag.application);
}

TEST_CASE("topics: what a device may publish") {
    auto telemetry = classify_device_publish("dev1", "devices/dev1/messages/events/a=1&%24.ct=x");
    CHECK(telemetry.kind == DevicePublishKind::telemetry);
    CHECK(telemetry.properties.application.at("a") == "1");
    CHECK(telemetry.properties.system.at("$.ct") == "x");
    CHECK(classify_device_publish("dev1", "devices/dev1/messages/events/").kind ==
          DevicePublishKind::telemetry);
    CHECK(classify_device_publish("dev1", "devices/dev1/messages/events").kind ==
          DevicePublishKind::telemetry);
    auto get = classify_device_publish("dev1", "$iothub/twin/GET/?$rid=42");
    CHECK(get.kind == DevicePublishKind::twin_get);
    CHECK(get.request_id == "42");
    CHECK(classify_device_publish("dev1", "$iothub/twin/PATCH/properties/reported/?$rid=a").kind ==
          DevicePublishKind::twin_patch_reported);
    auto reply = classify_device_publish("dev1", "$iothub/methods/res/201/?$rid=7");
    CHECK(reply.kind == DevicePublishKind::method_response);
    CHECK(reply.status == 201);
    CHECK(reply.request_id == "7");
    for (const char* bad :
         {"devices/dev2/messages/events/", "devices/dev1/messages/eventsX", "devices/dev1/other",
          "$iothub/twin/GET/", "$iothub/methods/res/abc/?$rid=1", "$iothub/methods/res/200",
          "random/topic", "$iothub/twin/GET/?rid=1"}) {
        CAPTURE(bad);
        CHECK(classify_device_publish("dev1", bad).kind == DevicePublishKind::invalid);
    }
}

TEST_CASE("topics: only the four documented subscriptions, for the device's own id") {
    CHECK(classify_device_subscription("dev1", "devices/dev1/messages/devicebound/#") ==
          DeviceSubscription::c2d);
    CHECK(classify_device_subscription("dev1", "$iothub/twin/res/#") ==
          DeviceSubscription::twin_responses);
    CHECK(classify_device_subscription("dev1", "$iothub/twin/PATCH/properties/desired/#") ==
          DeviceSubscription::desired_patches);
    CHECK(classify_device_subscription("dev1", "$iothub/methods/POST/#") ==
          DeviceSubscription::methods);
    for (const char* bad :
         {"#", "devices/dev2/messages/devicebound/#", "devices/+/messages/devicebound/#",
          "$iothub/#", "devices/dev1/messages/devicebound/x", "$SYS/#"}) {
        CAPTURE(bad);
        CHECK_FALSE(classify_device_subscription("dev1", bad));
    }
}

TEST_CASE("topics: which ones the hub may deliver to a device") {
    CHECK(is_device_downlink_topic("dev1", "devices/dev1/messages/devicebound/a=b"));
    CHECK_FALSE(is_device_downlink_topic("dev1", "devices/dev2/messages/devicebound/a=b"));
}

TEST_CASE("twin: reported patch merges, null deletes, versions increase") {
    TwinDocument twin;
    CHECK(twin.patch_reported(json{{"a", 1}, {"nested", {{"x", 1}, {"y", 2}}}}) == 2);
    CHECK(twin.patch_reported(json{{"a", nullptr}, {"nested", {{"y", nullptr}, {"z", 3}}}}) == 3);
    json view = twin.device_view();
    CHECK_FALSE(view["reported"].contains("a"));
    CHECK(view["reported"]["nested"] == json{{"x", 1}, {"z", 3}});
    CHECK(view["reported"]["$version"] == 3);
    CHECK(view["desired"]["$version"] == 1);
    CHECK(twin.replace_desired(json{{"d", 1}}) == 2);
    CHECK(twin.desired() == json{{"d", 1}});
}

TEST_CASE("twin: patches must be objects without reserved names") {
    CHECK(twin_patch_error(json::parse("[1]")) != "");
    CHECK(twin_patch_error(json::parse("3")) != "");
    CHECK(twin_patch_error(json{{"$version", 3}}) != "");
    CHECK(twin_patch_error(json{{"ok", 3}}) == "");
}

TEST_CASE("c2d queue: at most 50, expiry drops, push_front keeps order") {
    C2dQueue queue;
    auto now = std::chrono::system_clock::now();
    for (int i = 0; i < 50; ++i) {
        CHECK(queue.push(C2dMessage{std::to_string(i), "p", {}, now + std::chrono::hours(1)}));
    }
    CHECK_FALSE(queue.push(C2dMessage{"51", "p", {}, now + std::chrono::hours(1)}));
    auto all = queue.take_all();
    CHECK(all.size() == 50);
    CHECK(queue.size() == 0);
    CHECK(queue.push(C2dMessage{"late", "p", {}, now + std::chrono::seconds(1)}));
    queue.push_front({C2dMessage{"first", "p", {}, now + std::chrono::hours(1)}});
    CHECK(queue.expire(now + std::chrono::seconds(2)) == 1);
    auto rest = queue.take_all();
    REQUIRE(rest.size() == 1);
    CHECK(rest[0].message_id == "first");
}

TEST_CASE("connect rate limiter: burst of max(1, rate), refills over time") {
    ConnectRateLimiter limiter;
    auto t0 = ConnectRateLimiter::Clock::time_point{} + std::chrono::hours(1);
    CHECK(limiter.try_acquire(t0));  // unlimited by default
    limiter.set_rate(2, t0);
    CHECK(limiter.try_acquire(t0));
    CHECK(limiter.try_acquire(t0));
    CHECK_FALSE(limiter.try_acquire(t0));
    CHECK(limiter.try_acquire(t0 + std::chrono::milliseconds(500)));
    CHECK_FALSE(limiter.try_acquire(t0 + std::chrono::milliseconds(500)));
}

TEST_CASE("telemetry log: sequences, bounded capacity, per-device reads, long poll timeout") {
    TelemetryLog log(3);
    for (int i = 0; i < 5; ++i) {
        log.append(TelemetryRecord{0, i % 2 ? "odd" : "even", std::to_string(i), {}, {}});
    }
    auto page = log.read_after(0, std::chrono::milliseconds(0), std::nullopt);
    CHECK(page.last == 5);
    REQUIRE(page.records.size() == 3);
    CHECK(page.records.front().sequence == 3);
    CHECK(log.read_after(3, std::chrono::milliseconds(0), std::string("odd")).records.size() == 1);
    CHECK(log.read_after(5, std::chrono::milliseconds(10), std::nullopt).records.empty());
    json binary = to_json(TelemetryRecord{1, "d", std::string("\xff\xfe", 2), {}, {}});
    CHECK(binary.contains("payloadBase64"));
    CHECK_FALSE(binary.contains("payload"));
}

TEST_CASE("config: registry read, errors carry file:line") {
    auto config = parse_hub_config(R"(
[hub]
hostname = "h.example"
[[policies]]
name = "device"
key = ")" + kPolicyKey + R"("
rights = ["DeviceConnect"]
[[devices]]
id = "d1"
primary_key = ")" + kDeviceKey + R"("
status = "disabled"
[[devices]]
id = "d2"
x509_thumbprint = "AA:BB"
)",
                                   "hub.toml");
    CHECK(config.hostname == "h.example");
    REQUIRE(config.devices.size() == 2);
    CHECK_FALSE(config.devices[0].enabled);
    CHECK(config.devices[1].x509_thumbprint == "aabb");
    CHECK(config.policies[0].has_right("DeviceConnect"));
    try {
        parse_hub_config("[[devices]]\nid = \"d\"\nprimary_key = \"not base64!\"\n", "bad.toml");
        FAIL("expected an error");
    } catch (const ConfigError& error) {
        CHECK(std::string(error.what()).starts_with("bad.toml:3:"));
    }
    CHECK_THROWS_AS(parse_hub_config("[[devices]]\nid = \"d\"\n", "x.toml"), ConfigError);
}

TEST_CASE("config: X.509 devices and registered CAs") {
    auto config = parse_hub_config(R"(
[[devices]]
id = "cam"
authentication = "certificateAuthority"
[[devices]]
id = "cam2"
x509_thumbprint = "AA"
x509_secondary_thumbprint = "B:B"
)",
                                   "hub.toml");
    REQUIRE(config.devices.size() == 2);
    CHECK(config.devices[0].certificate_authority);
    CHECK(config.devices[0].authentication_type() == "certificateAuthority");
    CHECK(config.devices[1].authentication_type() == "selfSigned");
    CHECK(config.devices[1].x509_secondary_thumbprint == "bb");
    const auto error_of = [](const std::string& text) {
        try {
            parse_hub_config(text, "bad.toml");
        } catch (const ConfigError& error) {
            return std::string(error.what());
        }
        return std::string("no error");
    };
    CHECK(error_of("[[devices]]\nid = \"d\"\nauthentication = \"certificateAuthority\"\n"
                   "x509_thumbprint = \"aa\"\n")
              .find("has no keys and no thumbprint") != std::string::npos);
    CHECK(error_of("[[devices]]\nid = \"d\"\nauthentication = \"token\"\n")
              .starts_with("bad.toml:3:"));
    CHECK(error_of("[[devices]]\nid = \"d\"\nx509_certificate = \"/nonexistent.pem\"\n")
              .find("cannot be read") != std::string::npos);
    CHECK(error_of("[[certificate_authorities]]\nname = \"c\"\nfile = \"/nonexistent.pem\"\n")
              .starts_with("bad.toml:3:"));
}
