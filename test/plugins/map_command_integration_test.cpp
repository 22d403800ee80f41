// `hubgate map` end to end: the real executable, a config with both example plugins, mapping
// files in a temp dir; one message per case, checked on exit status and the printed JSON.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/process.hpp"
#include "harness/scratch_dir.hpp"

using namespace hubgate::test;
using nlohmann::json;

namespace {

const std::string kConfig = R"(mappings = ["maps/*.toml"]

[hub]
hostname = "myhub.azure-devices.net"

[auth]
mode = "x509"
cert_file = "certs/{device}.pem"
cert_key_file = "certs/{device}.key"

[plugins]
dir = ")" HUBGATE_LIB_DIR R"("

[plugins.identity]
file = "json-identity.so"
config = { field = "serial", prefix = "p1-" }

[plugins.meter-csv]
file = "text-to-json.so"
config = { format = "csv", fields = [ { name = "kwh", type = "number" }, { name = "status" } ] }
)";

const std::string kMappings = R"([[devices]]
name = "fleet"
id = "{site}-unknown"
plugins = ["identity"]
  [devices.uplink]
  "fleet/{site}/data" = { send = "telemetry", properties = { site = "{site}" } }
  [devices.downlink]
  c2d = "fleet/{site}/inbox"
  desired = { topic = "fleet/{site}/config", retain = true }
  desired_patch = "fleet/{site}/config/patch/{version}"
  [devices.static]
  "p1-A-17" = { site = "north" }

[[devices]]
name = "meters"
id = "meter-{serial}"
  [devices.uplink]
  "meters/{serial}/csv" = { send = "telemetry", plugins = ["meter-csv"] }
  "meters/{serial}/raw" = { send = "telemetry" }
  "meters/{serial}/debug" = "ignore"
  [devices.downlink]
  c2d = "meters/{serial}/inbox"
  desired = { topic = "meters/{serial}/config", send = "patch" }
)";

// A temp dir holding the config and mapping file, and a way to run `hubgate map` against it.
struct MapRig {
    ScratchDir dir{"hubgate-map"};
    std::string config;

    explicit MapRig(const std::string& config_text = kConfig) {
        config = dir.write("hubgate.toml", config_text).string();
        dir.write("maps/fleet.toml", kMappings);
    }

    RunResult map(std::vector<std::string> args) const {
        args.insert(args.begin(), {HUBGATE_BIN_DIR "/hubgate", "map", "-c", config});
        return run(args, 30s);
    }
};

// The one JSON object `hubgate map` printed (stdout and stderr are merged by run()).
json printed(const RunResult& result) {
    INFO(result.output);
    const auto start = result.output.find('{');
    REQUIRE(start != std::string::npos);
    return json::parse(result.output.substr(start));
}

}  // namespace

TEST_CASE("hubgate map prints the uplink route, with plugins applied") {
    const MapRig rig;
    struct Case {
        std::vector<std::string> args;
        json expected;  // members that must be present with these values
    };
    const Case cases[] = {
        {{"--topic", "fleet/south/data", "--payload", R"({"serial":"A-17","t":21.5})"},
         {{"direction", "up"},
          {"kind", "telemetry"},
          {"device_id", "p1-A-17"},
          {"device_class", "fleet"},
          {"properties", {{"site", "south"}}},
          {"payload", R"({"serial":"A-17","t":21.5})"}}},
        {{"--topic", "meters/42/csv", "--payload", "12.5,OK"},
         {{"kind", "telemetry"},
          {"device_id", "meter-42"},
          {"properties", {{"$.ct", "application/json"}, {"$.ce", "utf-8"}}},
          {"payload", R"({"kwh":12.5,"status":"OK"})"}}},
        {{"--topic", "meters/42/debug", "--payload", "x"}, {{"kind", "ignore"}}},
    };
    for (const auto& c : cases) {
        CAPTURE(c.args[1]);
        const auto result = rig.map(c.args);
        INFO(result.output);
        CHECK(result.status == 0);
        const auto out = printed(result);
        for (const auto& [key, value] : c.expected.items()) {
            CAPTURE(key);
            CHECK(out.value(key, json()) == value);
        }
        CHECK(out.value("rule", "").starts_with(rig.dir.path().string() + "/maps/fleet.toml:"));
    }
    const auto telemetry = printed(rig.map({"--topic", "meters/42/csv", "--payload", "1,OK"}));
    CHECK(telemetry["upstream_topic"].get<std::string>().starts_with(
        "devices/meter-42/messages/events/"));
}

TEST_CASE("hubgate map reads a binary payload from a file") {
    const MapRig rig;
    const auto file = rig.dir.write("payload.csv", "7,\xff");
    const auto out = printed(rig.map({"--topic", "meters/1/csv", "--payload-file", file.string()}));
    CHECK(out["payload"] == "{\"kwh\":7.0,\"status\":\"\xef\xbf\xbd\"}");
}

TEST_CASE("hubgate map reports a rejection with its reason and exit 1") {
    const MapRig rig;
    struct Case {
        const char* topic;
        const char* payload;
        const char* reason;
    };
    const Case cases[] = {
        {"fleet/south/data", "not json",
         "plugin \"identity\" failed: derive_device_id: payload is not JSON"},
        {"fleet/south/data", R"({"serial": "bad/id"})", "p1-bad/id"},
        {"meters/42/csv", "12.5",
         "plugin \"meter-csv\" failed: transform_uplink: line 1: 1 fields, expected 2"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.payload);
        const auto result = rig.map({"--topic", c.topic, "--payload", c.payload});
        INFO(result.output);
        CHECK(result.status == 1);
        const auto out = printed(result);
        CHECK(out.contains("rejected"));
        CHECK(out.value("reason", "").find(c.reason) != std::string::npos);
    }
}

TEST_CASE("hubgate map says when no rule matched and exits 3") {
    const MapRig rig;
    const auto result = rig.map({"--topic", "elsewhere/1", "--payload", "{}"});
    CHECK(result.status == 3);
    CHECK(result.output.find("no rule matched topic 'elsewhere/1'") != std::string::npos);
}

TEST_CASE("hubgate map renders a downlink for a static or a seen device") {
    const MapRig rig;
    auto result = rig.map(
        {"--direction", "down", "--device", "p1-A-17", "--kind", "c2d", "--payload", "hello"});
    INFO(result.output);
    CHECK(result.status == 0);
    auto out = printed(result);
    CHECK(out["local_topic"] == "fleet/north/inbox");
    CHECK(out["payload"] == "hello");

    result = rig.map({"--direction", "down", "--device", "meter-9", "--kind", "c2d", "--seen-on",
                      "meters/9/raw", "--payload", "x"});
    CHECK(result.status == 0);
    CHECK(printed(result)["local_topic"] == "meters/9/inbox");

    // --seen-on runs the rule's plugins on an empty payload: the CSV plugin refuses it.
    result = rig.map({"--direction", "down", "--device", "meter-9", "--kind", "c2d", "--seen-on",
                      "meters/9/csv"});
    CHECK(result.status == 2);
    CHECK(result.output.find("does not route to device 'meter-9': plugin \"meter-csv\" failed: "
                             "transform_uplink: no CSV line in the payload") != std::string::npos);

    // Never seen, not in a static table: rejected, with the reason.
    result = rig.map({"--direction", "down", "--device", "meter-9", "--kind", "c2d"});
    CHECK(result.status == 1);
    CHECK(printed(result)["rejected"] == "unknown_device");
}

TEST_CASE("hubgate map renders the desired state topic, the patch topic, or send = patch") {
    const MapRig rig;
    auto result = rig.map({"--direction", "down", "--device", "p1-A-17", "--kind", "desired",
                           "--version", "5", "--payload", R"({"rate_s":7,"$version":5})"});
    INFO(result.output);
    REQUIRE(result.status == 0);
    auto out = printed(result);
    CHECK(out["kind"] == "desired");
    CHECK(out["send"] == "state");
    CHECK(out["local_topic"] == "fleet/north/config");
    CHECK(out["retain"] == true);

    result = rig.map({"--direction", "down", "--device", "p1-A-17", "--kind", "desired_patch",
                      "--version", "5", "--payload", "{}"});
    REQUIRE(result.status == 0);
    out = printed(result);
    CHECK(out["kind"] == "desired_patch");
    CHECK(out["send"] == "patch");
    CHECK(out["local_topic"] == "fleet/north/config/patch/5");

    // `desired` with send = "patch": --kind desired still finds it.
    result = rig.map({"--direction", "down", "--device", "meter-9", "--kind", "desired",
                      "--seen-on", "meters/9/raw", "--payload", "{}"});
    REQUIRE(result.status == 0);
    out = printed(result);
    CHECK(out["kind"] == "desired_patch");
    CHECK(out["send"] == "patch");
    CHECK(out["local_topic"] == "meters/9/config");
}

TEST_CASE("hubgate map refuses a plugin that does not load, naming it, with exit 2") {
    std::string config = kConfig;
    config.replace(config.find("field = \"serial\""), 16, "feild = \"serial\"");
    const MapRig rig(config);
    const auto result = rig.map({"--topic", "fleet/south/data", "--payload", "{}"});
    CHECK(result.status == 2);
    // json-identity declares its settings: hubgate's own check names the line and the key.
    CHECK(result.output.find("plugins.identity.config.feild: unknown key; did you mean 'field'?") !=
          std::string::npos);
}

TEST_CASE("hubgate map rejects a bad command line with exit 2") {
    const MapRig rig;
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"--payload", "x"},
             {"--topic", "t", "--payload", "x", "--payload-file", "f"},
             {"--topic", "t", "--direction", "sideways"},
             {"--direction", "down", "--device", "d", "--kind", "telex"},
         }) {
        CAPTURE(args[0]);
        CHECK(rig.map(args).status == 2);
    }
}
