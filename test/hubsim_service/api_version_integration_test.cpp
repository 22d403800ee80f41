// api-version checked as IoT Hub checks it: the service REST API answers a missing or unknown
// version 400 InvalidProtocolVersion in the hub's error shape, and a device whose MQTT username
// names an unknown version is refused. The emulator's own /hubsim/ endpoints need none.
#include <doctest/doctest.h>
#include <httplib.h>

#include "harness/process.hpp"
#include "hubsim_fixture/hubsim_fixture.hpp"

namespace {

using namespace hubgate::test;
using nlohmann::json;

// A GET with the owner token and `path` exactly as given (no api-version added).
httplib::Result raw_get(const HubsimFixture& hub, const std::string& path) {
    httplib::SSLClient client("127.0.0.1", hub.https_port());
    client.set_ca_cert_path(hub.ca_file().string());
    client.enable_server_certificate_verification(true);
    client.set_connection_timeout(5);
    client.set_read_timeout(10);
    return client.Get(path, {{"Authorization", hub.service_token()}});
}

// mosquitto_pub as device dev1 with `username`; its exit status.
int connect_as(const HubsimFixture& hub, const std::string& username) {
    return run({"/usr/bin/mosquitto_pub",
                "-h",
                "127.0.0.1",
                "-p",
                std::to_string(hub.mqtts_port()),
                "--cafile",
                hub.ca_file().string(),
                "--insecure",
                "-V",
                "mqttv311",
                "-q",
                "1",
                "-i",
                "dev1",
                "-u",
                username,
                "-P",
                hub.device_token("dev1"),
                "-t",
                "devices/dev1/messages/events/",
                "-m",
                "x"},
               30s)
        .status;
}

HubsimOptions one_device() {
    HubsimOptions options;
    options.devices = {{.id = "dev1"}};
    return options;
}

}  // namespace

TEST_CASE("REST: a missing or unknown api-version is 400 InvalidProtocolVersion") {
    HubsimFixture hub(one_device());
    for (const char* path : {"/twins/dev1?api-version=2099-01-01", "/twins/dev1",
                             "/devices/dev1?api-version=1", "/devices?api-version="}) {
        CAPTURE(path);
        const auto reply = raw_get(hub, path);
        REQUIRE(reply);
        CHECK(reply->status == 400);
        CHECK(reply->get_header_value("iothub-errorcode") == "InvalidProtocolVersion");
        CHECK(reply->get_header_value("Content-Type").starts_with("application/json"));
        const auto body = json::parse(reply->body);
        CHECK(body["Message"] == "ErrorCode:InvalidProtocolVersion;BadRequest");
        CHECK(body["ExceptionMessage"].get<std::string>().starts_with("Tracking ID:"));
    }
    for (const char* path : {"/twins/dev1?api-version=2021-04-12",
                             "/twins/dev1?api-version=2018-06-30", "/hubsim/connections"}) {
        CAPTURE(path);
        const auto reply = raw_get(hub, path);
        REQUIRE(reply);
        CHECK(reply->status == 200);
    }
}

TEST_CASE("MQTT: a username with an unknown api-version is refused, a known one connects") {
    HubsimFixture hub(one_device());
    const std::string prefix = hub.hostname() + "/dev1/?api-version=";
    CHECK(connect_as(hub, prefix + "2099-01-01") != 0);
    CHECK(connect_as(hub, prefix + "2018-06-30") == 0);
    const auto log = hub.request("GET", "/hubsim/connections").body["log"];
    bool refused_for_version = false;
    for (const auto& entry : log) {
        if (entry["event"] == "refused" && entry["reason"] == "unsupported api-version")
            refused_for_version = true;
    }
    CAPTURE(log.dump());
    CHECK(refused_for_version);
}
