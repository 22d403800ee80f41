// How a fleet onboards through DPS: registrations of new devices run several at once (each
// mostly waits for DPS's "assigning" answer, so one at a time would keep far under DPS's quota),
// and once every device is assigned hubgate holds no connection to DPS (the DPS client costs no
// idle memory).
#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bridge_env.hpp"
#include "harness/listening_sockets.hpp"
#include "harness/process.hpp"
#include "legacy_client.hpp"

namespace hubgate::test {

namespace {

// How many devices `hubgate status` shows in provisioning state "registering" at this moment.
int registering_now(const BridgeEnv& env) {
    const auto status = run({std::string(HUBGATE_BIN_DIR) + "/hubgate", "status", "--socket",
                             (env.dir().path() / "control.sock").string(), "--json"},
                            30s);
    const auto document = nlohmann::json::parse(status.output, nullptr, false);
    if (status.status != 0 || !document.is_object() || !document.contains("provisioning"))
        return 0;
    return static_cast<int>(std::count_if(
        document["provisioning"].begin(), document["provisioning"].end(),
        [](const nlohmann::json& device) { return device.value("state", "") == "registering"; }));
}

}  // namespace

TEST_CASE("new devices register with DPS several at once, and no DPS connection stays open") {
    BridgeEnvOptions options;
    options.dps_group_key = HubsimFixture::random_key();
    BridgeEnv env(options);  // hubsim answers "assigning" with retry-after 1 s
    env.start_hubgate();

    constexpr int kDevices = 8;
    std::vector<std::unique_ptr<LegacyClient>> devices;
    for (int i = 0; i < kDevices; ++i) {
        devices.push_back(
            std::make_unique<LegacyClient>(env.local_port(), "legacy-n" + std::to_string(i)));
        REQUIRE(devices.back()->wait_connected());
    }
    for (int i = 0; i < kDevices; ++i) {
        REQUIRE(devices[static_cast<std::size_t>(i)]->publish(
            "t/plant1/n" + std::to_string(i) + "/telemetry", R"({"seq":1})"));
    }
    // Each registration waits a second for its poll: started at registration_rate (50/s), they
    // overlap unless they run one at a time.
    int most_at_once = 0;
    for (int i = 0; i < 200 && most_at_once < 2; ++i)
        most_at_once = std::max(most_at_once, registering_now(env));
    INFO(env.hubgate_output());
    CHECK(most_at_once >= 2);

    for (int i = 0; i < kDevices; ++i) {
        const auto device = "plant1-n" + std::to_string(i);
        CHECK(env.hub().wait_for_telemetry(device, 1, 60s).size() == 1);
    }
    // Every device assigned and connected: the registrations' connections are closed (each
    // right after its last answer; polled, bounded).
    int open = established_connections_to(env.hub().dps_port());
    for (int i = 0; i < 100 && open > 0; ++i) {
        std::this_thread::sleep_for(100ms);
        open = established_connections_to(env.hub().dps_port());
    }
    CHECK(open == 0);
    CHECK(env.stop_hubgate() == 0);
}

}  // namespace hubgate::test
