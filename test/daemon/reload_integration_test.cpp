// End to end, hot reload (SIGHUP) under traffic: new mapping rules and their local subscriptions
// take effect, an invalid file is refused with its file:line and the rules in force stay, and
// neither drops a device session nor loses a message.
#include <doctest/doctest.h>

#include <csignal>

#include "bridge_env.hpp"
#include "harness/process.hpp"
#include "hub_telemetry.hpp"
#include "legacy_client.hpp"

namespace hubgate::test {

namespace {

// How many times each device connected to the hub so far.
std::map<std::string, int> connects_by_device(const HubsimFixture& hub) {
    std::map<std::string, int> connects;
    for (const auto& device : hub.connections().body.value("devices", json::array())) {
        connects[device.value("deviceId", "")] = device.value("connects", 0);
    }
    return connects;
}

// The test mapping with one more rule: telemetry also from u/{site}/{sensor}/data.
std::string mapping_with_data_rule() {
    std::string mapping = kTestMapping;
    const std::string anchor = "[devices.uplink]\n";
    mapping.insert(mapping.find(anchor) + anchor.size(),
                   "  \"u/{site}/{sensor}/data\" = \"telemetry\"\n");
    return mapping;
}

}  // namespace

TEST_CASE("reload under traffic: new rules apply, a bad file is refused, nothing is lost") {
    const std::vector<std::string> ids{"plant1-a", "plant1-b"};
    BridgeEnv env(with_devices(ids));
    env.start_hubgate();
    LegacyClient client(env.local_port(), "legacy-reload");
    REQUIRE(client.wait_connected());
    std::size_t published = 0;
    auto publish_range = [&](const std::string& prefix, int first, int last) {
        for (int seq = first; seq <= last; ++seq) {
            for (const auto& sensor : {"a", "b"}) {
                REQUIRE(client.publish(
                    prefix + "/plant1/" + sensor + "/" + (prefix == "t" ? "telemetry" : "data"),
                    R"({"seq":)" + std::to_string(seq) + "}"));
                ++published;
            }
        }
    };

    publish_range("t", 1, 50);
    REQUIRE(env.hub().wait_for_connected("plant1-a"));
    REQUIRE(env.hub().wait_for_connected("plant1-b"));

    // A valid reload while messages are still coming in.
    env.dir().write("mappings/test.toml", mapping_with_data_rule());
    auto from = env.hubgate().output().size();
    env.hubgate().signal(SIGHUP);
    publish_range("t", 51, 100);
    REQUIRE(env.wait_for_log("reload: done", 20s, from));
    REQUIRE(env.wait_for_log("subscriptions changed: 1 added, 0 dropped", 20s, from));
    REQUIRE(env.wait_for_log("subscribed to 6 local filters", 20s, from));
    // The new rule routes.
    publish_range("u", 101, 110);

    // An invalid file: refused with where it is wrong; the rules in force (with u/...) stay.
    env.dir().write("mappings/test.toml", "[[devices]]\nname = \"broken\"\nid = \n");
    from = env.hubgate().output().size();
    env.hubgate().signal(SIGHUP);
    publish_range("u", 111, 115);
    REQUIRE(env.wait_for_log("reload refused", 20s, from));
    CHECK(env.hubgate().output().find("test.toml:3:", from) != std::string::npos);
    publish_range("t", 116, 130);
    REQUIRE(client.wait_acknowledged(published));

    const auto received = collect_telemetry(env.hub(), ids.size() * 130, 60s);
    CHECK(missing(received, ids, 130).empty());
    // Neither reload touched the device sessions.
    const auto connects = connects_by_device(env.hub());
    CHECK(connects.at("plant1-a") == 1);
    CHECK(connects.at("plant1-b") == 1);
    REQUIRE(env.stop_hubgate() == 0);
    CHECK(env.hubgate_output().find("no_rule") == std::string::npos);
}

}  // namespace hubgate::test
