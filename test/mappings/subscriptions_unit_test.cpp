#include <doctest/doctest.h>

#include "mapping_fixture.hpp"

using namespace hubgate::mappings;
using namespace hubgate::mappings::test;

TEST_CASE("local subscriptions cover every uplink rule without redundant filters") {
    const MappingSet rules = load_ok(R"(
[[devices]]
id = "{a}"
  [devices.uplink]
  "plant/{a}/telemetry" = "telemetry"
  "plant/{a}/state" = "reported"
  "plant/{a}/debug/{rest...}" = "ignore"
  "misc/{a}/x" = "telemetry"
  "misc/+/x" = "ignore"
  "gw/{a}/{rest...}" = "telemetry"
  "gw/{a}/status" = "reported"
  "$legacy/{a}" = "telemetry"
)");
    CHECK(rules.local_subscriptions() ==
          std::vector<std::string>{"$legacy/+", "gw/+/#", "misc/+/x", "plant/+/debug/#",
                                   "plant/+/state", "plant/+/telemetry"});
    CHECK(rules.rule_count() == 8);
}

TEST_CASE("a catch-all filter does not hide '$' topics, which MQTT wildcards never match") {
    const MappingSet rules = load_ok(R"(
[[devices]]
id = "{a}"
  [devices.uplink]
  "{a}/#" = "telemetry"
  "$legacy/{a}" = "telemetry"
  "x/{a}" = "telemetry"
)");
    CHECK(rules.local_subscriptions() == std::vector<std::string>{"$legacy/+", "+/#"});
}
