// The HTTPS service API in process, over real TLS, against a FakeHub: authentication, routing,
// request parsing and the JSON shape of every answer.
#include <doctest/doctest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>

#include "fake_hub.hpp"
#include "harness/ports.hpp"
#include "harness/scratch_dir.hpp"
#include "hubgate/iothub/sas_token.hpp"
#include "hubsim/cli/service_client.hpp"
#include "hubsim/cli/test_certificates.hpp"

namespace {

using hubsim::json;
using hubsim::cli::ServiceClient;
using hubsim::cli::ServiceReply;
namespace iothub = hubgate::iothub;
using namespace std::chrono_literals;

// A running service API over a FakeHub, with a client signed as iothubowner.
struct ServiceUnderTest {
    std::ostringstream log;  // first: outlives the server that writes to it
    hubgate::test::ScratchDir dir{"hubsim-service-api"};
    hubsim::test::FakeHub hub;
    std::unique_ptr<hubsim::ServiceApi> api;
    hubsim::cli::ServiceEndpoint endpoint;

    ServiceUnderTest() {
        // Captures what the service logs, to check that no secret reaches it.
        auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log);
        spdlog::set_default_logger(std::make_shared<spdlog::logger>("test", sink));
        hub.owner_key = iothub::base64_encode("owner key bytes, 32 of them.....");
        hub.registry_reader_key = iothub::base64_encode("reader key bytes, 32 of them....");
        const auto certs =
            hubsim::cli::ensure_test_certificates(dir.path(), "fakehub.azure-devices.net");
        const int port = hubgate::test::free_tcp_port();
        api = hubsim::start_service_api(
            hub, {"127.0.0.1", port, certs.server_cert.string(), certs.server_key.string()});
        REQUIRE(hubgate::test::wait_for_port(port, 10s));
        endpoint = {"127.0.0.1",   port,         certs.ca_cert, "fakehub.azure-devices.net",
                    "iothubowner", hub.owner_key};
    }
    ~ServiceUnderTest() {
        api.reset();
        spdlog::set_default_logger(std::make_shared<spdlog::logger>("silent"));
    }

    ServiceReply call(const std::string& method, const std::string& path,
                      const std::optional<std::string>& body = {},
                      const std::optional<std::string>& authorization = {}) {
        return ServiceClient(endpoint).call(method, path, body, authorization);
    }
    std::string token(const std::string& policy, const std::string& key, int64_t expiry,
                      const std::string& resource = "fakehub.azure-devices.net") {
        return iothub::make_sas_token({resource, key, policy, expiry});
    }
};

json body_of(const ServiceReply& reply) {
    INFO("body: " << reply.body);
    CHECK(reply.content_type.starts_with("application/json"));
    return json::parse(reply.body);
}

void check_error(const ServiceReply& reply, int status, const std::string& code) {
    CHECK(reply.status == status);
    const auto body = body_of(reply);
    CHECK(body["Message"].get<std::string>().starts_with("ErrorCode:" + code + ";"));
}

int64_t in_an_hour() {
    return iothub::expiry_after(1h);
}

TEST_CASE("a request without an Authorization header is refused with a JSON 401") {
    ServiceUnderTest s;
    check_error(s.call("GET", "/twins/dev1", {}, ""), 401, "IotHubUnauthorizedAccess");
    CHECK(s.hub.calls().empty());
}

TEST_CASE("a token signed with the wrong key is refused") {
    ServiceUnderTest s;
    const auto wrong =
        s.token("iothubowner", iothub::base64_encode("not the owner key"), in_an_hour());
    check_error(s.call("GET", "/twins/dev1", {}, wrong), 401, "IotHubUnauthorizedAccess");
    CHECK(s.hub.calls().empty());
}

TEST_CASE("an expired token is refused") {
    ServiceUnderTest s;
    const auto expired = s.token("iothubowner", s.hub.owner_key, iothub::expiry_after(-1min));
    check_error(s.call("GET", "/hubsim/connections", {}, expired), 401, "IotHubUnauthorizedAccess");
    CHECK(s.hub.calls().empty());
}

TEST_CASE("a token for another hub, a token without skn and garbage are refused") {
    ServiceUnderTest s;
    const auto other_hub = s.token("iothubowner", s.hub.owner_key, in_an_hour(), "otherhub.net");
    check_error(s.call("GET", "/devices", {}, other_hub), 401, "IotHubUnauthorizedAccess");
    const auto no_policy = iothub::make_sas_token(
        {"fakehub.azure-devices.net", s.hub.owner_key, std::nullopt, in_an_hour()});
    check_error(s.call("GET", "/devices", {}, no_policy), 401, "IotHubUnauthorizedAccess");
    check_error(s.call("GET", "/devices", {}, "Bearer abc"), 401, "IotHubUnauthorizedAccess");
    CHECK(s.hub.calls().empty());
}

TEST_CASE("a policy without the endpoint's right is refused, one with it is accepted") {
    ServiceUnderTest s;
    const auto reader = s.token("reader", s.hub.registry_reader_key, in_an_hour());
    CHECK(s.call("GET", "/devices/dev1", {}, reader).status == 200);
    check_error(s.call("DELETE", "/devices/dev1", {}, reader), 401, "IotHubUnauthorizedAccess");
    check_error(s.call("GET", "/twins/dev1", {}, reader), 401, "IotHubUnauthorizedAccess");
}

TEST_CASE("refusals are logged without the signature") {
    ServiceUnderTest s;
    const auto wrong =
        s.token("iothubowner", iothub::base64_encode("not the owner key"), in_an_hour());
    s.call("GET", "/twins/dev1", {}, wrong);
    const auto sig = iothub::parse_sas_token(wrong)->signature;
    const auto logged = s.log.str();
    CHECK(logged.find("401") != std::string::npos);
    CHECK(logged.find("fakehub.azure-devices.net") != std::string::npos);
    CHECK(logged.find(sig) == std::string::npos);
    CHECK(logged.find(iothub::url_encode(sig)) == std::string::npos);
}

TEST_CASE("registry endpoints reach the hub and answer JSON") {
    ServiceUnderTest s;
    auto reply = s.call("GET", "/devices/dev1");
    CHECK(reply.status == 200);
    CHECK(body_of(reply)["deviceId"] == "dev1");
    reply = s.call("PUT", "/devices/dev2", R"({"deviceId":"dev2"})");
    CHECK(reply.status == 200);
    CHECK(body_of(reply)["deviceId"] == "dev2");
    reply = s.call("GET", "/devices");
    CHECK(body_of(reply).is_array());
    reply = s.call("DELETE", "/devices/dev2");
    CHECK(reply.status == 204);
    CHECK(reply.content_type.starts_with("application/json"));
    const auto calls = s.hub.calls();
    REQUIRE(calls.size() == 4);
    CHECK(calls[0].name == "get_device");
    CHECK(calls[1].name == "put_device");
    CHECK(calls[1].body["deviceId"] == "dev2");
    CHECK(calls[2].name == "list_devices");
    CHECK(calls[3].name == "delete_device");
    CHECK(calls[3].id == "dev2");
}

TEST_CASE("twin and method endpoints pass bodies through") {
    ServiceUnderTest s;
    CHECK(body_of(s.call("GET", "/twins/dev1"))["properties"]["desired"]["$version"] == 1);
    CHECK(s.call("PATCH", "/twins/dev1", R"({"properties":{"desired":{"x":1}}})").status == 200);
    CHECK(s.call("PUT", "/twins/dev1", R"({"properties":{"desired":{}}})").status == 200);
    const auto method =
        s.call("POST", "/twins/dev1/methods",
               R"({"methodName":"reboot","payload":{"a":1},"responseTimeoutInSeconds":5})");
    CHECK(method.status == 200);
    CHECK(body_of(method) == json{{"status", 200}, {"payload", {{"ok", true}}}});
    check_error(s.call("POST", "/twins/offline/methods", R"({"methodName":"m"})"), 404,
                "DeviceNotOnline");
    const auto calls = s.hub.calls();
    REQUIRE(calls.size() == 5);
    CHECK(calls[1].name == "patch_twin");
    CHECK(calls[1].body["properties"]["desired"]["x"] == 1);
    CHECK(calls[2].name == "replace_twin");
    CHECK(calls[3].body["methodName"] == "reboot");
}

TEST_CASE("malformed JSON bodies get a JSON 400 and never reach the hub") {
    ServiceUnderTest s;
    check_error(s.call("PATCH", "/twins/dev1", "{not json"), 400, "ArgumentInvalid");
    check_error(s.call("POST", "/twins/dev1/methods", "[1,2]"), 400, "ArgumentInvalid");
    check_error(s.call("POST", "/hubsim/devices/dev1/messages", R"({"payload":1})"), 400,
                "ArgumentInvalid");
    check_error(s.call("PUT", "/hubsim/faults", R"({"refuseConnects":"yes"})"), 400,
                "ArgumentInvalid");
    check_error(s.call("GET", "/hubsim/telemetry?after=-1"), 400, "ArgumentInvalid");
    CHECK(s.hub.calls().empty());
    CHECK(body_of(s.call("GET", "/hubsim/service"))["badRequests"] == 5);
}

TEST_CASE("C2D messages carry payload, properties, ids and TTL to the hub") {
    ServiceUnderTest s;
    const auto reply = s.call(
        "POST", "/hubsim/devices/dev1/messages",
        R"({"payload":"hello","properties":{"k":"v"},"messageId":"m7","correlationId":"c9","ttlSeconds":60})");
    CHECK(reply.status == 200);
    const auto calls = s.hub.calls();
    REQUIRE(calls.size() == 1);
    CHECK(calls[0].id == "dev1");
    CHECK(calls[0].body == json{{"payload", "hello"},
                                {"properties", {{"k", "v"}}},
                                {"messageId", "m7"},
                                {"correlationId", "c9"},
                                {"ttlSeconds", 60}});
}

TEST_CASE("telemetry long-poll parameters reach the hub and non-UTF-8 payloads still give JSON") {
    ServiceUnderTest s;
    const auto reply = s.call("GET", "/hubsim/telemetry?after=41&wait=2&device=dev9");
    CHECK(reply.status == 200);
    const auto body = body_of(reply);
    CHECK(body["last"] == 42);
    CHECK(body["messages"][0]["deviceId"] == "dev9");
    const auto calls = s.hub.calls();
    REQUIRE(calls.size() == 1);
    CHECK(calls[0].body == json{{"after", 41}, {"waitMs", 2000}, {"device", "dev9"}});
}

TEST_CASE("emulator endpoints: connections, C2D state, kick, faults") {
    ServiceUnderTest s;
    CHECK(body_of(s.call("GET", "/hubsim/connections")).contains("devices"));
    CHECK(body_of(s.call("GET", "/hubsim/devices/dev1/messages")).contains("pending"));
    CHECK(s.call("POST", "/hubsim/devices/dev1/kick").status == 200);
    const auto faults =
        s.call("PUT", "/hubsim/faults", R"({"refuseConnects":true,"connectRate":2.5})");
    CHECK(faults.status == 200);
    CHECK(body_of(faults) == json{{"twinThrottleSeconds", 0},
                                  {"refuseConnects", true},
                                  {"connectRate", 2.5},
                                  {"pubackDelayMs", 0}});
    // A partial PUT keeps the other faults.
    s.call("PUT", "/hubsim/faults", R"({"pubackDelayMs":50})");
    const auto now = body_of(s.call("GET", "/hubsim/faults"));
    CHECK(now["refuseConnects"] == true);
    CHECK(now["pubackDelayMs"] == 50);
}

TEST_CASE("unknown paths and hub failures still answer JSON") {
    ServiceUnderTest s;
    const auto missing = s.call("GET", "/no/such/thing");
    check_error(missing, 404, "NotFound");
    s.hub.throw_on_get_twin = true;
    check_error(s.call("GET", "/twins/dev1"), 500, "ServerError");
    CHECK(body_of(s.call("GET", "/hubsim/service"))["failures"] == 1);
}

}  // namespace
