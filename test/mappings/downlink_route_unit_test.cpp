#include <doctest/doctest.h>

#include "hubgate/iothub/property_bag.hpp"
#include "hubgate/mappings/device_directory.hpp"
#include "mapping_fixture.hpp"

using namespace hubgate::mappings;
using namespace hubgate::mappings::test;

namespace {

constexpr const char* kDownlinkRules = R"(
[[devices]]
name = "sensors"
id = "{site}-{sensor}"
  [devices.uplink]
  "plant/{site}/{sensor}/telemetry" = "telemetry"
  [devices.downlink]
  c2d = "plant/{site}/{sensor}/inbox"
  desired = { topic = "plant/{site}/{sensor}/config/{version}", retain = true, qos = 0 }
  method = { topic = "plant/{site}/{sensor}/rpc/{method}/{rid}", reply = "plant/{site}/{sensor}/rpc/{method}/{rid}/reply/{status}", timeout = "20s" }
  twin = "plant/{site}/{sensor}/twin/res/{status}/{rid}"
  [devices.static]
  "north-spare" = { site = "north", sensor = "spare" }

[[devices]]
name = "meters"
id = "meter-{serial}"
  [devices.uplink]
  "meters/{serial}/reading" = "telemetry"
  [devices.downlink]
  method = "meters/{serial}/ask/{method}"
)";

struct DownlinkRow {
    const char* device;
    DownlinkKind kind;
    DownlinkVars vars;
    const char* topic;
    bool retain;
    int qos;
    long timeout_ms;
};

DeviceDirectory seen(const MappingSet& rules, std::initializer_list<const char*> topics) {
    DeviceDirectory directory;
    for (const char* topic : topics) {
        const auto result = rules.route_uplink(topic, "1");
        REQUIRE(std::holds_alternative<UplinkRoute>(result));
        directory.remember(std::get<UplinkRoute>(result));
    }
    return directory;
}

}  // namespace

TEST_CASE("downlinks render to the device's local topics") {
    const MappingSet rules = load_ok(kDownlinkRules);
    const DeviceDirectory directory =
        seen(rules, {"plant/south/s7/telemetry", "meters/0042/reading"});
    const DownlinkRow rows[] = {
        {"south-s7", DownlinkKind::c2d, {}, "plant/south/s7/inbox", false, 1, 0},
        {"south-s7",
         DownlinkKind::desired,
         {.version = 12},
         "plant/south/s7/config/12",
         true,
         0,
         0},
        {"south-s7",
         DownlinkKind::method,
         {.method = "reboot", .rid = "r1"},
         "plant/south/s7/rpc/reboot/r1",
         false,
         1,
         20000},
        {"south-s7",
         DownlinkKind::twin_answer,
         {.rid = "5", .status = 200},
         "plant/south/s7/twin/res/200/5",
         false,
         1,
         0},
        {"meter-0042",
         DownlinkKind::method,
         {.method = "read", .rid = "ignored"},
         "meters/0042/ask/read",
         false,
         1,
         30000},
        // Devices never seen are found in the static table.
        {"north-spare", DownlinkKind::c2d, {}, "plant/north/spare/inbox", false, 1, 0},
    };
    for (const DownlinkRow& row : rows) {
        INFO(std::string(row.device));
        INFO(std::string(to_string(row.kind)));
        const DownlinkResult result =
            rules.render_downlink(row.device, row.kind, row.vars, "{\"p\":1}", directory);
        if (const auto* rejection = std::get_if<Rejection>(&result))
            FAIL(rejection->text);
        const DownlinkRoute& route = std::get<DownlinkRoute>(result);
        CHECK(route.topic == row.topic);
        CHECK(route.payload == "{\"p\":1}");
        CHECK(route.retain == row.retain);
        CHECK(route.qos == row.qos);
        CHECK(route.reply_timeout.count() == row.timeout_ms);
        CHECK(route.rule.file == "rules.toml");
    }
}

TEST_CASE("the method reply pattern of the downlink table routes replies up") {
    const MappingSet rules = load_ok(kDownlinkRules);
    const auto result = rules.route_uplink("plant/s/x/rpc/reboot/r1/reply/500", "{}");
    REQUIRE(std::holds_alternative<UplinkRoute>(result));
    const auto& route = std::get<UplinkRoute>(result);
    CHECK(route.kind == UplinkKind::method_reply);
    CHECK(route.request_id == "r1");
    CHECK(route.status == 500);
    CHECK(route.rule.line == 10);
}

TEST_CASE("a device remembered in a persisted directory gets downlinks after a restart") {
    const MappingSet rules = load_ok(kDownlinkRules);
    const std::string saved = seen(rules, {"plant/east/s1/telemetry"}).serialize();
    const auto restored = DeviceDirectory::deserialize(saved);
    REQUIRE(std::holds_alternative<DeviceDirectory>(restored));
    const auto result = rules.render_downlink("east-s1", DownlinkKind::c2d, {}, "hi",
                                              std::get<DeviceDirectory>(restored));
    REQUIRE(std::holds_alternative<DownlinkRoute>(result));
    CHECK(std::get<DownlinkRoute>(result).topic == "plant/east/s1/inbox");
}

TEST_CASE("every downlink rejection has its reason") {
    const MappingSet rules = load_ok(kDownlinkRules);
    DeviceDirectory directory = seen(rules, {"plant/south/s7/telemetry", "meters/1/reading"});
    // A record whose capture values would make a wildcard topic, and one of a vanished class.
    directory.remember("evil", DeviceRecord{"sensors", {{"site", "a/#"}, {"sensor", "x"}}});
    directory.remember("orphan", DeviceRecord{"gone", {}});
    struct Rejected {
        const char* device;
        DownlinkKind kind;
        DownlinkVars vars;
        RejectReason reason;
    };
    const Rejected rows[] = {
        {"nobody", DownlinkKind::c2d, {}, RejectReason::unknown_device},
        {"orphan", DownlinkKind::c2d, {}, RejectReason::unknown_device},
        {"meter-1", DownlinkKind::c2d, {}, RejectReason::no_downlink_template},
        {"south-s7", DownlinkKind::method, {.method = "reboot"}, RejectReason::missing_value},
        {"south-s7", DownlinkKind::desired, {}, RejectReason::missing_value},
        {"south-s7", DownlinkKind::twin_answer, {.rid = "1"}, RejectReason::missing_value},
        {"evil", DownlinkKind::c2d, {}, RejectReason::invalid_local_topic},
        {"south-s7",
         DownlinkKind::method,
         {.method = "a+b", .rid = "1"},
         RejectReason::invalid_local_topic},
    };
    for (const Rejected& row : rows) {
        INFO(std::string(row.device));
        INFO(std::string(to_string(row.kind)));
        const auto result = rules.render_downlink(row.device, row.kind, row.vars, "", directory);
        REQUIRE(std::holds_alternative<Rejection>(result));
        CHECK(std::get<Rejection>(result).reason == row.reason);
        CHECK_FALSE(std::get<Rejection>(result).text.empty());
    }
}

TEST_CASE("downlink hooks transform payloads or reject them") {
    FakeHook hook("fake");
    LoadOptions options;
    options.hooks = [&](std::string_view name) -> MessageHook* {
        return name == "fake" ? &hook : nullptr;
    };
    const MappingSet rules = load_ok(R"(
[[devices]]
name = "d"
id = "{x}"
plugins = ["fake"]
  [devices.downlink]
  desired = "d/{x}/set"
  [devices.static]
  "one" = { x = "1" }
)",
                                     options);
    const DeviceDirectory empty;
    const auto ok = rules.render_downlink("one", DownlinkKind::desired, {}, "{}", empty);
    REQUIRE(std::holds_alternative<DownlinkRoute>(ok));
    CHECK(std::get<DownlinkRoute>(ok).payload == "desired:{}");
    CHECK(std::get<DownlinkRoute>(ok).topic == "d/1/set");
    hook.fail_downlink = true;
    const auto failed = rules.render_downlink("one", DownlinkKind::desired, {}, "{}", empty);
    REQUIRE(std::holds_alternative<Rejection>(failed));
    CHECK(std::get<Rejection>(failed).reason == RejectReason::hook_failed);
    CHECK(std::get<Rejection>(failed).text == "plugin \"fake\" failed: cannot render");
}

TEST_CASE("a C2D message's properties reach the local topic through {properties}, encoded") {
    const MappingSet rules = load_ok(R"(
[[devices]]
id = "{site}-{sensor}"
  [devices.uplink]
  "p/{site}/{sensor}/telemetry" = "telemetry"
  [devices.downlink]
  c2d = "p/{site}/{sensor}/inbox/{properties}"
)");
    const DeviceDirectory directory = seen(rules, {"p/a/s1/telemetry"});
    const std::string bag =
        hubgate::iothub::encode_property_bag({{"cmd", "set/mode"}, {"$.mid", "m#1"}});
    DownlinkVars vars;
    vars.properties = bag;
    const auto result = rules.render_downlink("a-s1", DownlinkKind::c2d, vars, "x", directory);
    REQUIRE(std::holds_alternative<DownlinkRoute>(result));
    // '/' and '#' in values are percent-encoded: no extra level, no wildcard.
    CHECK(std::get<DownlinkRoute>(result).topic == "p/a/s1/inbox/cmd=set%2Fmode&$.mid=m%231");
    // No properties: the level is empty.
    const auto bare = rules.render_downlink("a-s1", DownlinkKind::c2d, {}, "x", directory);
    REQUIRE(std::holds_alternative<DownlinkRoute>(bare));
    CHECK(std::get<DownlinkRoute>(bare).topic == "p/a/s1/inbox/");
}

TEST_CASE("desired: the state topic, the patch topic, or both") {
    const MappingSet rules = load_ok(R"(
[[devices]]
name = "both"
id = "both-{n}"
  [devices.uplink]
  "both/{n}/t" = "telemetry"
  [devices.downlink]
  desired = { topic = "both/{n}/config", retain = true }
  desired_patch = { topic = "both/{n}/config/patch/{version}", qos = 0 }

[[devices]]
name = "deltas"
id = "deltas-{n}"
  [devices.uplink]
  "deltas/{n}/t" = "telemetry"
  [devices.downlink]
  desired = { topic = "deltas/{n}/config", send = "patch" }

[[devices]]
name = "state"
id = "state-{n}"
  [devices.uplink]
  "state/{n}/t" = "telemetry"
  [devices.downlink]
  desired = { topic = "state/{n}/config", send = "state" }
)");
    const DeviceDirectory directory = seen(rules, {"both/1/t", "deltas/1/t", "state/1/t"});
    auto topic_of = [&](const char* device, DownlinkKind kind) -> std::string {
        const auto result = rules.render_downlink(device, kind, {.version = 4}, "{}", directory);
        if (const auto* rejection = std::get_if<Rejection>(&result)) {
            return "rejected: " + std::string(to_string(rejection->reason));
        }
        return std::get<DownlinkRoute>(result).topic;
    };
    CHECK(topic_of("both-1", DownlinkKind::desired) == "both/1/config");
    CHECK(topic_of("both-1", DownlinkKind::desired_patch) == "both/1/config/patch/4");
    // send = "patch" keeps the one topic of before for patches; there is no state topic.
    CHECK(topic_of("deltas-1", DownlinkKind::desired) == "rejected: no_downlink_template");
    CHECK(topic_of("deltas-1", DownlinkKind::desired_patch) == "deltas/1/config");
    CHECK(topic_of("state-1", DownlinkKind::desired) == "state/1/config");
    CHECK(topic_of("state-1", DownlinkKind::desired_patch) == "rejected: no_downlink_template");
}
