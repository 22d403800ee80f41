// `make demo`'s configuration (config/demo/) works as shipped: hubsim, the local mosquitto and
// hubgate started from its files with their @NAME@ placeholders filled in as scripts/demo.sh
// fills them, a demo device that no one registered publishes once, hubgate provisions it through
// hubsim's DPS, and its message reaches the hub.
#include <doctest/doctest.h>

#include <filesystem>
#include <map>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "harness/ports.hpp"
#include "harness/process.hpp"
#include "harness/scratch_dir.hpp"
#include "hubsim_fixture/hubsim_fixture.hpp"
#include "legacy_client.hpp"

namespace hubgate::test {

namespace {

const std::filesystem::path kDemoDir = std::filesystem::path(HUBGATE_SOURCE_DIR) / "config/demo";

// The demo file `name` with every @KEY@ of `values` replaced; fails the test on one left over.
std::string filled(const std::string& name, const std::map<std::string, std::string>& values) {
    std::string text = read_file(kDemoDir / name);
    REQUIRE_FALSE(text.empty());
    for (const auto& [key, value] : values) {
        const std::string placeholder = "@" + key + "@";
        for (auto at = text.find(placeholder); at != std::string::npos;
             at = text.find(placeholder, at + value.size()))
            text.replace(at, placeholder.size(), value);
    }
    // Outside comments (which name the placeholders), none is left.
    std::istringstream lines(text);
    const std::regex placeholder_left("^[^#]*@[A-Z_0-9]+@");
    for (std::string line; std::getline(lines, line);) {
        INFO(name << ": " << line);
        CHECK_FALSE(std::regex_search(line, placeholder_left));
    }
    return text;
}

// `field=VALUE` of hubsim's ready line.
std::string ready_field(const std::string& output, const std::string& field) {
    std::smatch match;
    const std::regex pattern("hubsim ready .*\\b" + field + "=(\\S+)");
    REQUIRE(std::regex_search(output, match, pattern));
    return match[1];
}

// `hubsim ARGS... -c CONFIG`.
RunResult hubsim_cli(const std::filesystem::path& config, std::vector<std::string> args) {
    args.insert(args.begin(), std::string(HUBGATE_BIN_DIR) + "/hubsim");
    args.insert(args.end(), {"-c", config.string()});
    return run(args, 30s);
}

}  // namespace

TEST_CASE("the demo's config provisions a new device through DPS and its first message arrives") {
    ScratchDir dir("hubgate-demo-test");
    const std::string run_dir = dir.path().string();
    std::filesystem::create_directories(dir.path() / "mosquitto");
    const int local_port = free_tcp_port();
    // The enrollment group's key, in a secret file as the demo script writes it.
    const std::string group_key = HubsimFixture::random_key();
    dir.write("group.key", group_key + "\n");
    std::map<std::string, std::string> values{{"RUN_DIR", run_dir},
                                              {"DEMO_DIR", kDemoDir.string()},
                                              {"LOCAL_PORT", std::to_string(local_port)},
                                              {"OWNER_KEY", HubsimFixture::random_key()},
                                              {"GROUP_KEY", group_key}};

    const auto mosquitto_conf = dir.write("mosquitto.conf", filled("mosquitto.conf", values));
    Process mosquitto({MOSQUITTO_EXECUTABLE, "-c", mosquitto_conf.string()});
    REQUIRE(wait_for_port(local_port, 10s));

    const auto hubsim_conf = dir.write("hubsim.toml", filled("hubsim.toml", values));
    Process hubsim({std::string(HUBGATE_BIN_DIR) + "/hubsim", "run", "-c", hubsim_conf.string(),
                    "--plugin", std::string(HUBGATE_LIB_DIR) + "/hubsim_plugin.so"});
    REQUIRE_MESSAGE(hubsim.wait_for_output("hubsim ready ", 60s), hubsim.output());
    const auto ready = hubsim.output();
    values["HUB_HOSTNAME"] = ready_field(ready, "hostname");
    values["HUB_MQTTS_PORT"] = ready_field(ready, "mqtts");
    values["HUB_CA_FILE"] = ready_field(ready, "ca");
    values["DPS_PORT"] = ready_field(ready, "dps");
    // Nothing is registered beforehand.
    CHECK(hubsim_cli(hubsim_conf, {"twin", "north-1-temp"}).status != 0);

    const auto hubgate_conf = dir.write("hubgate.toml", filled("hubgate.toml", values));
    Process hubgate(
        {std::string(HUBGATE_BIN_DIR) + "/hubgate", "run", "-c", hubgate_conf.string()});
    REQUIRE_MESSAGE(hubgate.wait_for_output("subscribed to", 30s), hubgate.output());

    LegacyClient device(local_port, "demo-north-1-temp");
    REQUIRE(device.wait_connected());
    REQUIRE(device.publish("plant/north/1/temp/telemetry", R"({"temperature":21.5})"));
    INFO(hubgate.output());
    CHECK(hubgate.wait_for_output("provisioning north-1-temp: assigned to", 60s));
    bool arrived = false;
    for (int i = 0; i < 300 && !arrived; ++i) {
        const auto events = hubsim_cli(hubsim_conf, {"events", "--device", "north-1-temp"});
        arrived = events.status == 0 && events.output.find("21.5") != std::string::npos;
        if (!arrived)
            std::this_thread::sleep_for(200ms);
    }
    CHECK(arrived);
    CHECK(hubsim_cli(hubsim_conf, {"twin", "north-1-temp"}).status == 0);  // DPS created it
    // The group key stays out of everything the demo's processes print.
    CHECK(hubgate.output().find(group_key) == std::string::npos);
    CHECK(hubsim.output().find(group_key) == std::string::npos);
    hubgate.stop(20s);
}

}  // namespace hubgate::test
