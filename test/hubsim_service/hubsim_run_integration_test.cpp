// `hubsim run` and the CLI wrappers end to end: the real hubsim binary, mosquitto and plugin,
// started through the HubsimFixture that every team's integration tests use.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <fstream>

#include "harness/ports.hpp"
#include "harness/process.hpp"
#include "harness/scratch_dir.hpp"
#include "hubgate/iothub/sas_token.hpp"
#include "hubsim_fixture/hubsim_fixture.hpp"

namespace {

using namespace hubgate::test;
namespace fs = std::filesystem;

const std::string kHubsim = std::string(HUBGATE_BIN_DIR) + "/hubsim";
const std::string kPlugin = std::string(HUBGATE_LIB_DIR) + "/hubsim_plugin.so";

HubsimOptions two_devices() {
    HubsimOptions options;
    options.devices = {{.id = "dev1"}, {.id = "dev2"}};
    return options;
}

// Runs a CLI wrapper against the fixture's hub (finds it through the state folder).
RunResult cli(const HubsimFixture& hub, std::vector<std::string> args) {
    std::vector<std::string> argv{kHubsim};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(),
                {"-c", hub.config_file().string(), "--state-dir", hub.state_dir().string()});
    return run(argv, 60s);
}

// Publishes one telemetry message as `device` with mosquitto_pub over TLS.
RunResult publish_telemetry(const HubsimFixture& hub, const std::string& device,
                            const std::string& topic_suffix, const std::string& payload) {
    return run({"/usr/bin/mosquitto_pub",
                "-h",
                "127.0.0.1",
                "-p",
                std::to_string(hub.mqtts_port()),
                "--cafile",
                hub.ca_file().string(),
                "-V",
                "mqttv311",
                "-q",
                "1",
                "-i",
                device,
                "-u",
                hub.device_username(device),
                "-P",
                hub.device_token(device),
                "-t",
                "devices/" + device + "/messages/events/" + topic_suffix,
                "-m",
                payload},
               30s);
}

// The pid of hubsim's mosquitto child.
pid_t broker_pid(pid_t hubsim) {
    std::ifstream children("/proc/" + std::to_string(hubsim) + "/task/" + std::to_string(hubsim) +
                           "/children");
    pid_t pid = 0;
    children >> pid;
    return pid;
}

bool process_exists(pid_t pid) {
    return fs::exists("/proc/" + std::to_string(pid));
}

TEST_CASE("hubsim run prints its ports, writes ports.json and serves the service API") {
    HubsimFixture hub(two_devices());
    CHECK(hub.mqtts_port() > 0);
    CHECK(hub.wss_port() > 0);
    CHECK(hub.https_port() > 0);
    CHECK(hub.mqtts_port() != hub.wss_port());
    CHECK(hub.https_port() != hub.wss_port());
    CHECK(fs::exists(hub.ca_file()));
    CHECK(wait_for_port(hub.mqtts_port(), 5s));
    CHECK(wait_for_port(hub.wss_port(), 5s));
    const auto ports = json::parse(read_file(hub.state_dir() / "ports.json"));
    CHECK(ports["mqtts"] == hub.mqtts_port());
    CHECK(ports["https"] == hub.https_port());
    CHECK(ports["ca"] == hub.ca_file().string());
    // Exactly one ready line.
    const auto output = hub.process().output();
    CHECK(output.find("hubsim ready") == output.rfind("hubsim ready"));
    const auto devices = hub.list_devices();
    CHECK(devices.status == 200);
    CHECK(devices.content_type.starts_with("application/json"));
}

TEST_CASE("the real hub refuses requests without a valid service token, in JSON") {
    HubsimFixture hub(two_devices());
    const auto expired = hub.service_token(-1min);
    const auto wrong_key = hub.request(
        "GET", "/twins/dev1", {},
        "SharedAccessSignature sr=" + hub.hostname() + "&sig=AAAA&se=9999999999&skn=iothubowner");
    for (const auto& reply : {hub.request("GET", "/twins/dev1", {}, ""),
                              hub.request("GET", "/twins/dev1", {}, expired), wrong_key}) {
        CHECK(reply.status == 401);
        CHECK(reply.content_type.starts_with("application/json"));
        CHECK(reply.body["Message"].get<std::string>().starts_with("ErrorCode:"));
    }
    // The refusals are logged (redacted), never with a signature.
    const auto output = hub.process().output();
    CHECK(output.find("401") != std::string::npos);
    CHECK(output.find(hubgate::iothub::parse_sas_token(expired)->signature) == std::string::npos);
    CHECK(output.find("sig=AAAA") == std::string::npos);
}

TEST_CASE("REST endpoints of the real hub answer in IoT Hub's shapes") {
    HubsimFixture hub(two_devices());
    const auto twin = hub.get_twin("dev1");
    CHECK(twin.status == 200);
    CHECK(twin.body["deviceId"] == "dev1");
    CHECK(twin.body["properties"]["desired"].contains("$version"));

    const auto patched = hub.patch_twin("dev1", {{"properties", {{"desired", {{"rate", 5}}}}}});
    CHECK(patched.status == 200);
    CHECK(hub.get_twin("dev1").body["properties"]["desired"]["rate"] == 5);

    CHECK(hub.get_device("dev2").body["deviceId"] == "dev2");
    CHECK(hub.get_device("nobody").status == 404);
    CHECK(hub.put_device("dev3", {{"deviceId", "dev3"}}).ok());
    CHECK(hub.get_device("dev3").status == 200);
    CHECK(hub.delete_device("dev3").ok());
    CHECK(hub.get_device("dev3").status == 404);

    const auto offline = hub.invoke_method("dev1", "reboot", nullptr, 5);
    CHECK(offline.status == 404);
    CHECK(offline.body["Message"].get<std::string>().find("DeviceNotOnline") != std::string::npos);

    CHECK(hub.send_c2d("dev1", {.payload = "hello", .properties = {{"k", "v"}}}).ok());
    CHECK(hub.c2d_state("dev1").status == 200);
    const auto telemetry = hub.telemetry();
    CHECK(telemetry.status == 200);
    CHECK(telemetry.body["messages"].is_array());
    CHECK(hub.connections().body.contains("devices"));
    CHECK(hub.set_faults({{"connectRate", 10}}).ok());
    CHECK(hub.faults().body["connectRate"] == 10);
    CHECK(hub.set_faults({{"connectRate", 0}}).ok());
}

TEST_CASE("telemetry published over MQTT/TLS is recorded and read back by long-poll") {
    HubsimFixture hub(two_devices());
    const auto sent = publish_telemetry(hub, "dev1", "color=blue", "hello");
    REQUIRE_MESSAGE(sent.status == 0, sent.output);
    const auto messages = hub.wait_for_telemetry("dev1", 1, 20s);
    REQUIRE(messages.size() == 1);
    CHECK(messages[0]["payload"] == "hello");
    CHECK(messages[0]["properties"]["color"] == "blue");
}

TEST_CASE("a client without a username is refused with CONNACK 5, never let in anonymously") {
    HubsimFixture hub(two_devices());
    const auto result =
        run({"/usr/bin/mosquitto_pub", "-h", "127.0.0.1", "-p", std::to_string(hub.mqtts_port()),
             "--cafile", hub.ca_file().string(), "-V", "mqttv311", "-i", "dev1", "-t",
             "devices/dev1/messages/events/", "-m", "x"},
            30s);
    CHECK(result.status != 0);
    CHECK(result.output.find("not authorised") != std::string::npos);
    CHECK(hub.telemetry().body["messages"].empty());
}

TEST_CASE("CLI wrappers: twin, device add, c2d, invoke, events") {
    HubsimFixture hub(two_devices());
    auto result = cli(hub, {"twin", "dev1"});
    CHECK(result.status == 0);
    CHECK(json::parse(result.output)["deviceId"] == "dev1");

    result = cli(hub, {"twin", "dev1", "--desired", R"({"mode":"eco"})"});
    CHECK(result.status == 0);
    CHECK(hub.get_twin("dev1").body["properties"]["desired"]["mode"] == "eco");

    result = cli(hub, {"device", "add", "dev9", "--key", HubsimFixture::random_key()});
    CHECK(result.status == 0);
    CHECK(hub.get_device("dev9").status == 200);

    result = cli(hub, {"c2d", "dev1", "ping", "--prop", "a=b"});
    CHECK(result.status == 0);
    CHECK(result.output.find("messageId") != std::string::npos);

    result = cli(hub, {"invoke", "dev2", "reboot", "--timeout", "5"});
    CHECK(result.status == 1);
    CHECK(result.output.find("DeviceNotOnline") != std::string::npos);

    REQUIRE(publish_telemetry(hub, "dev2", "", "t1").status == 0);
    REQUIRE(hub.wait_for_telemetry("dev2", 1).size() == 1);
    result = cli(hub, {"events", "--device", "dev2"});
    CHECK(result.status == 0);
    CHECK(json::parse(result.output)["payload"] == "t1");
}

TEST_CASE("CLI wrappers: events --follow prints messages as they arrive") {
    HubsimFixture hub(two_devices());
    Process follow({kHubsim, "events", "--follow", "-c", hub.config_file().string(), "--state-dir",
                    hub.state_dir().string()});
    REQUIRE(publish_telemetry(hub, "dev1", "", "first-message").status == 0);
    CHECK(follow.wait_for_output("first-message", 20s));
    REQUIRE(publish_telemetry(hub, "dev1", "", "second-message").status == 0);
    CHECK(follow.wait_for_output("second-message", 20s));
    follow.stop();
}

TEST_CASE("CLI wrappers: bad usage and no running hub exit 2 with a reason") {
    ScratchDir dir("hubsim-cli");
    const auto config =
        dir.write("hubsim.toml", "[[policies]]\nname = \"iothubowner\"\nkey = \"a2V5\"\n");
    auto result = run({kHubsim, "twin", "dev1", "-c", config.string(), "--state-dir",
                       (dir.path() / "none").string()});
    CHECK(result.status == 2);
    CHECK(result.output.find("no running hub") != std::string::npos);
    result = run({kHubsim, "invoke", "dev1", "-c", config.string()});
    CHECK(result.status == 2);
    result = run({kHubsim, "frobnicate"});
    CHECK(result.status == 2);
}

TEST_CASE("SIGTERM stops mosquitto and hubsim exits 0") {
    HubsimFixture hub(two_devices());
    const pid_t broker = broker_pid(hub.process().pid());
    REQUIRE(broker > 0);
    REQUIRE(process_exists(broker));
    hub.process().signal(SIGTERM);
    CHECK(hub.process().wait_exit(20s) == 0);
    CHECK_FALSE(wait_for_port(hub.mqtts_port(), 200ms));
    CHECK_FALSE(fs::exists(hub.state_dir() / "ports.json"));
}

TEST_CASE("hubsim exits non-zero when mosquitto dies") {
    HubsimFixture hub(two_devices());
    const pid_t broker = broker_pid(hub.process().pid());
    REQUIRE(broker > 0);
    ::kill(broker, SIGKILL);
    const auto status = hub.process().wait_exit(20s);
    REQUIRE(status);
    CHECK(*status != 0);
    CHECK(hub.process().output().find("mosquitto exited unexpectedly") != std::string::npos);
}

TEST_CASE("hubsim run fails clearly when mosquitto cannot start") {
    // The MQTT port is taken: mosquitto exits at once, hubsim reports it and never says ready.
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(fd, 1) == 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ScratchDir dir("hubsim-run");
    const auto config = dir.write(
        "hubsim.toml", "[hub]\nmqtts_port = " + std::to_string(ntohs(addr.sin_port)) + "\n");
    const auto result = run({kHubsim, "run", "-c", config.string(), "--state-dir",
                             (dir.path() / "state").string(), "--plugin", kPlugin},
                            60s);
    ::close(fd);
    CHECK(result.status == 1);
    CHECK(result.output.find("hubsim ready") == std::string::npos);
    CHECK(result.output.find("before it was ready") != std::string::npos);
}

TEST_CASE("hubsim run starts from a config with no iothubowner policy") {
    ScratchDir dir("hubsim-run");
    const auto config = dir.write("hubsim.toml", "[hub]\nhostname = \"bare.example\"\n");
    Process hubsim({kHubsim, "run", "-c", config.string(), "--state-dir",
                    (dir.path() / "state").string(), "--plugin", kPlugin});
    CHECK(hubsim.wait_for_output("hostname=bare.example dps=", 30s));
    hubsim.signal(SIGTERM);
    CHECK(hubsim.wait_exit(20s) == 0);
}

TEST_CASE("hubsim run refuses a bad config or a missing plugin with exit 2") {
    ScratchDir dir("hubsim-run");
    const auto bad = dir.write("bad.toml", "[hub]\nmqtts_port = -5\n");
    auto result = run({kHubsim, "run", "-c", bad.string(), "--plugin", kPlugin});
    CHECK(result.status == 2);
    CHECK(result.output.find("bad.toml:2:") != std::string::npos);
    const auto good = dir.write("good.toml", "[hub]\n");
    result = run({kHubsim, "run", "-c", good.string(), "--state-dir", (dir.path() / "s").string(),
                  "--plugin", (dir.path() / "missing.so").string()});
    CHECK(result.status == 2);
    CHECK(result.output.find("plugin not found") != std::string::npos);
}

}  // namespace
