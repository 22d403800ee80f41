// Unit tests of hubsim's several hubs: [[hubs]] in the config, enrollment groups' allocation
// (hashed and static) and its checks. No broker.
#include <doctest/doctest.h>

#include <map>

#include "hubsim/common/dps_allocation.hpp"
#include "hubsim/common/hub_config.hpp"

using namespace hubsim;

namespace {

const std::string kHubsKey = "kbbwk6MoamJYldA+HSnmfDk5vs4hRA5O7xh2jY3ERUU=";
const std::string kHubA = "hub-a.azure-devices.net";
const std::string kHubB = "hub-b.azure-devices.net";

std::string two_hubs(const std::string& more = "") {
    return "[hub]\nhostname = \"" + kHubA + "\"\n[[devices]]\nid = \"a1\"\nprimary_key = \"" +
           kHubsKey + "\"\n[[hubs]]\nhostname = \"" + kHubB +
           "\"\nmqtts_port = 0\n[[hubs.devices]]\nid = \"b1\"\nprimary_key = \"" + kHubsKey +
           "\"\n" + more;
}

std::string error_of(const std::string& text) {
    try {
        parse_hub_config(text, "hub.toml");
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "no error";
}

std::string group(const std::string& allocation) {
    return "[[enrollment_groups]]\nid = \"g\"\nprimary_key = \"" + kHubsKey + "\"\n" + allocation;
}

}  // namespace

TEST_CASE("hubs tables add hubs with their own registries beside the hub table") {
    const auto config = parse_hub_config(two_hubs(), "hub.toml");
    CHECK(config.hostnames() == std::vector<std::string>{kHubA, kHubB});
    REQUIRE(config.devices.size() == 1);
    CHECK(config.devices[0].id == "a1");
    REQUIRE(config.extra_hubs.size() == 1);
    const auto b = config.extra_hub(0);
    CHECK(b.hostname == kHubB);
    REQUIRE(b.devices.size() == 1);
    CHECK(b.devices[0].id == "b1");
    CHECK(b.dps.enrollment_groups.empty());
    // A single-hub config has no extra hubs.
    CHECK(parse_hub_config("", "hub.toml").extra_hubs.empty());
}

TEST_CASE(
    "hubs tables: a host name twice, a device in two registries and unknown keys are errors") {
    CHECK(error_of(two_hubs("[[hubs]]\nhostname = \"" + kHubA + "\"\n")) ==
          "hub.toml:12:1: hubs: duplicate hostname \"" + kHubA + "\"");
    CHECK(error_of(two_hubs("[[hubs]]\nhostname = \"c\"\n[[hubs.devices]]\nid = \"a1\"\n"
                            "primary_key = \"" +
                            kHubsKey + "\"\n")) ==
          "hub.toml:12:1: hubs: device id \"a1\" is in another registry already (device ids are "
          "broker-wide)");
    CHECK(error_of("[[hubs]]\nhostname = \"c\"\nport = 1\n") ==
          "hub.toml:3:8: hubs[0].port: unknown key (allowed: hostname, mqtts_port, devices)");
    CHECK(error_of("[[hubs]]\nmqtts_port = 1\n") == "hub.toml:1:1: hubs[0].hostname: missing");
}

TEST_CASE(
    "enrollment groups name their hubs: hashed over several, static on one, known hubs only") {
    const auto config = parse_hub_config(
        two_hubs(group("allocation_policy = \"hashed\"\niot_hubs = [\"" + kHubA + "\", \"" + kHubB +
                       "\"]\n") +
                 "[[enrollment_groups]]\nid = \"s\"\nprimary_key = \"" + kHubsKey +
                 "\"\nallocation_policy = \"static\"\niot_hub_host_name = \"" + kHubB + "\"\n"),
        "hub.toml");
    REQUIRE(config.dps.enrollment_groups.size() == 2);
    CHECK(config.dps.enrollment_groups[0].allocation_policy == "hashed");
    CHECK(config.dps.enrollment_groups[0].iot_hubs == std::vector<std::string>{kHubA, kHubB});
    CHECK(config.dps.enrollment_groups[1].allocation_policy == "static");
    CHECK(config.dps.enrollment_groups[1].iot_hubs == std::vector<std::string>{kHubB});

    CHECK(error_of(two_hubs(group("iot_hubs = [\"nowhere.azure-devices.net\"]\n"))) ==
          "hub.toml:12:1: enrollment_groups[0]: unknown hub \"nowhere.azure-devices.net\" (not "
          "[hub] hostname nor a [[hubs]] hostname)");
    CHECK(
        error_of(group("allocation_policy = \"geoLatency\"\n")) ==
        "hub.toml:4:21: enrollment_groups[0].allocation_policy: must be \"hashed\" or \"static\"");
    CHECK(error_of(two_hubs(group("allocation_policy = \"static\"\niot_hubs = [\"" + kHubA +
                                  "\", \"" + kHubB + "\"]\n"))) ==
          "hub.toml:12:1: enrollment_groups[0]: a static group names one hub");
    CHECK(error_of(group("iot_hub_host_name = \"" + kHubA + "\"\n")) ==
          "hub.toml:4:21: enrollment_groups[0].iot_hub_host_name: only with allocation_policy = "
          "\"static\" and no iot_hubs");
}

TEST_CASE(
    "hashed allocation spreads registration ids over the group's hubs, the same way each time") {
    EnrollmentGroup hashed;
    hashed.iot_hubs = {kHubA, kHubB};
    std::map<std::string, int> per_hub;
    for (int i = 0; i < 200; ++i) {
        const auto id = "sensor-" + std::to_string(i);
        const auto hub = allocate_hub(hashed, id, "default");
        CHECK(hub == allocate_hub(hashed, id, "default"));  // stable
        ++per_hub[hub];
    }
    CHECK(per_hub.size() == 2);
    CHECK(per_hub[kHubA] > 70);  // even: 100 each, give or take chance
    CHECK(per_hub[kHubB] > 70);

    EnrollmentGroup fixed;
    fixed.allocation_policy = "static";
    fixed.iot_hubs = {kHubB};
    EnrollmentGroup unset;
    for (const auto* id : {"a", "b", "c", "sensor-1", "sensor-2"}) {
        CHECK(allocate_hub(fixed, id, kHubA) == kHubB);
        CHECK(allocate_hub(unset, id, kHubA) == kHubA);  // no hubs named: the default hub
    }
}
