#include <doctest/doctest.h>

#include "hubgate/mappings/upstream_topic.hpp"
#include "mapping_fixture.hpp"

using namespace hubgate::mappings;
using namespace hubgate::mappings::test;

namespace {

constexpr const char* kUplinkRules = R"(
[[devices]]
name = "sensors"
id = "{site}-{sensor}"
  [devices.uplink]
  "plant/{site}/{sensor}/telemetry" = { send = "telemetry", properties = { site = "{site}", "$.ct" = "application/json", "$.mid" = "{sensor}", "iothub-creation-time-utc" = "{now}" } }
  "plant/{site}/{sensor}/state" = { send = "reported" }
  "plant/{site}/{sensor}/twin/get/{rid}" = { send = "twin-get" }
  "plant/{site}/{sensor}/twin/fetch" = { send = "twin-get", reply = "plant/{site}/{sensor}/twin/doc" }
  "plant/{site}/{sensor}/rpc/{method}/{rid}/reply/{status}" = { send = "method-reply" }
  "plant/{site}/{sensor}/answer/{method}" = "method-reply"
  "plant/{site}/{sensor}/done" = { send = "method-reply", method = "reboot", status = 202 }
  "plant/{site}/{sensor}/debug/{rest...}" = "ignore"
  "plant/{site}/{sensor}/raw/{v}" = { send = "telemetry", properties = { v = "{v}" } }
  "plant/{site}/{sensor}/twin/bad/{x}" = { send = "twin-get", reply = "plant/{x}/doc" }
  [devices.downlink]
  twin = "plant/{site}/{sensor}/twin/res/{status}/{rid}"

[[devices]]
name = "gateways"
id = "gw:{gw}"
  [devices.uplink]
  "gw/{gw}/{rest...}" = "telemetry"
  "gw/{gw}/status" = "reported"
)";

struct UplinkRow {
    const char* topic;
    const char* payload;
    UplinkKind kind;
    const char* device_id;
    const char* bag;     // telemetry: expected property bag
    const char* detail;  // method: "method|rid|oldest|status"; twin: "rid|reply"
};

std::string detail_of(const UplinkRoute& route) {
    if (route.kind == UplinkKind::method_reply) {
        return route.method + "|" + route.request_id + "|" +
               (route.reply_to_oldest_pending ? "oldest" : "rid") + "|" +
               std::to_string(route.status);
    }
    if (route.kind == UplinkKind::twin_get)
        return route.request_id + "|" + route.reply_topic;
    return "";
}

LoadOptions fixed_clock() {
    LoadOptions options;
    options.clock = [] {
        return std::chrono::system_clock::time_point(std::chrono::milliseconds(1764156683123));
    };
    return options;
}

}  // namespace

TEST_CASE("uplink messages route to the expected kind, device and properties") {
    const MappingSet rules = load_ok(kUplinkRules, fixed_clock());
    const UplinkRow rows[] = {
        {"plant/north/s7/telemetry", "{\"t\":1}", UplinkKind::telemetry, "north-s7",
         "site=north&$.ct=application%2Fjson&$.mid=s7&"
         "iothub-creation-time-utc=2025-11-26T11%3A31%3A23.123Z",
         ""},
        {"plant/north/s7/state", "{\"fw\":\"1.2\"}", UplinkKind::reported, "north-s7", "", ""},
        {"plant/north/s7/twin/get/42", "", UplinkKind::twin_get, "north-s7", "", "42|"},
        {"plant/north/s7/twin/fetch", "", UplinkKind::twin_get, "north-s7", "",
         "|plant/north/s7/twin/doc"},
        {"plant/north/s7/rpc/reboot/r9/reply/200", "{}", UplinkKind::method_reply, "north-s7", "",
         "reboot|r9|rid|200"},
        {"plant/north/s7/answer/ping", "{}", UplinkKind::method_reply, "north-s7", "",
         "ping||oldest|200"},
        {"plant/north/s7/done", "", UplinkKind::method_reply, "north-s7", "", "reboot||oldest|202"},
        {"plant/north/s7/debug/a/b", "x", UplinkKind::ignore, "", "", ""},
        // The more specific rule wins over the tail capture of the same class.
        {"gw/g1/status", "{}", UplinkKind::reported, "gw:g1", "", ""},
        {"gw/g1/metrics/cpu", "1", UplinkKind::telemetry, "gw:g1", "", ""},
        // Captured values are encoded: they cannot add properties.
        {"plant/north/s7/raw/a&$.mid=x", "1", UplinkKind::telemetry, "north-s7",
         "v=a%26%24.mid%3Dx", ""},
    };
    for (const UplinkRow& row : rows) {
        INFO(std::string(row.topic));
        const UplinkResult result = rules.route_uplink(row.topic, row.payload);
        if (const auto* rejection = std::get_if<Rejection>(&result))
            FAIL(rejection->text);
        REQUIRE(std::holds_alternative<UplinkRoute>(result));
        const UplinkRoute& route = std::get<UplinkRoute>(result);
        CHECK(route.kind == row.kind);
        CHECK(route.device_id == row.device_id);
        CHECK(route.property_bag == row.bag);
        CHECK(detail_of(route) == row.detail);
        CHECK(route.rule.file == "rules.toml");
        CHECK(route.rule.line > 0);
        if (row.kind != UplinkKind::ignore)
            CHECK(route.payload == row.payload);
    }
}

TEST_CASE("a route says where its rule is and what to remember") {
    const MappingSet rules = load_ok(kUplinkRules, fixed_clock());
    const auto route = std::get<UplinkRoute>(rules.route_uplink("plant/n/s/state", "{}"));
    CHECK(route.rule.line == 7);
    CHECK(route.rule.column == 3);
    CHECK(route.device_class == "sensors");
    REQUIRE(route.captures.size() == 2);
    CHECK(route.captures[0].name == "site");
    CHECK(route.captures[1].value == "s");
}

TEST_CASE("a route built in recycled captures holds only its own, in the vector it was given") {
    const MappingSet rules = load_ok(kUplinkRules, fixed_clock());
    // The uplink pipeline hands each route's captures back for the next message.
    Captures recycled = {{"stale", "left over"}, {"more", "x"}, {"again", "y"}};
    recycled.reserve(8);
    const auto* buffer = recycled.data();
    auto route =
        std::get<UplinkRoute>(rules.route_uplink("plant/n/s/state", "{}", std::move(recycled)));
    REQUIRE(route.captures.size() == 2);
    CHECK(route.captures[0].name == "site");
    CHECK(route.captures[0].value == "n");
    CHECK(route.captures[1].value == "s");
    CHECK(route.device_id == "n-s");
    CHECK(route.captures.data() == buffer);  // no new vector
    auto next =
        std::get<UplinkRoute>(rules.route_uplink("gw/g1/status", "{}", std::move(route.captures)));
    REQUIRE(next.captures.size() == 1);
    CHECK(next.captures[0].value == "g1");
    CHECK(next.device_id == "gw:g1");
    CHECK(next.captures.data() == buffer);
}

TEST_CASE("topics no rule matches give NoMatch") {
    const MappingSet rules = load_ok(kUplinkRules, fixed_clock());
    for (const char* topic : {"plant/north/s7", "plant/north/s7/unknown", "other", "",
                              "plant//s7/telemetry", "gw/g1", "plant/north/s7/debug"}) {
        INFO(std::string(topic));
        CHECK(std::holds_alternative<NoMatch>(rules.route_uplink(topic, "")));
    }
}

TEST_CASE("every uplink rejection has its reason") {
    const MappingSet rules = load_ok(kUplinkRules, fixed_clock());
    struct Rejected {
        const char* topic;
        const char* payload;
        RejectReason reason;
        const char* part;
    };
    const Rejected rows[] = {
        {"plant/nor th/s7/telemetry", "1", RejectReason::invalid_device_id,
         "byte 0x20 at offset 3"},
        {"plant/nörth/s7/telemetry", "1", RejectReason::invalid_device_id, "byte 0xC3"},
        {"plant/a#b/s7/telemetry", "1", RejectReason::invalid_device_id, "'#'"},
        {"gw/a~b/x", "1", RejectReason::invalid_device_id, "'~'"},
        {"plant/n/s/state", "[1,2]", RejectReason::payload_not_json_object, "not array"},
        {"plant/n/s/state", "{\"a\":", RejectReason::payload_not_json_object, "not valid JSON"},
        {"plant/n/s/state", "", RejectReason::payload_not_json_object, "not valid JSON"},
        {"plant/n/s/rpc/reboot/r1/reply/ok", "", RejectReason::invalid_status, "\"ok\""},
        {"plant/n/s/rpc/reboot/r1/reply/99", "", RejectReason::invalid_status, "\"99\""},
        {"plant/n/s/rpc/reboot/r1/reply/2000", "", RejectReason::invalid_status, "\"2000\""},
        {"plant/n/s/twin/bad/a+b", "", RejectReason::invalid_local_topic, "'+'"},
    };
    for (const Rejected& row : rows) {
        INFO(std::string(row.topic));
        INFO(std::string(row.payload));
        const UplinkResult result = rules.route_uplink(row.topic, row.payload);
        REQUIRE(std::holds_alternative<Rejection>(result));
        const Rejection& rejection = std::get<Rejection>(result);
        CHECK(rejection.reason == row.reason);
        CHECK(rejection.text.find(row.part) != std::string::npos);
        CHECK(rejection.rule.file == "rules.toml");
    }
    const std::string long_site(130, 'a');
    const auto too_long = rules.route_uplink("plant/" + long_site + "/s/telemetry", "1");
    REQUIRE(std::holds_alternative<Rejection>(too_long));
    CHECK(std::get<Rejection>(too_long).reason == RejectReason::invalid_device_id);
}

TEST_CASE("plugin hooks derive ids, transform payloads and reject messages") {
    FakeHook hook("fake");
    LoadOptions options = fixed_clock();
    options.hooks = [&](std::string_view name) -> MessageHook* {
        return name == "fake" ? &hook : nullptr;
    };
    const MappingSet rules = load_ok(R"(
[[devices]]
name = "fleet"
plugins = ["fake"]
  [devices.uplink]
  "fleet/all" = { send = "telemetry", properties = { k = "v" } }
  "fleet/state" = "reported"
)",
                                     options);
    SUBCASE("derived id and transformed payload") {
        hook.id_from_payload = true;
        hook.uplink_prefix = "csv:";
        hook.add_properties = {{"extra", "a b"}};
        const auto route = std::get<UplinkRoute>(rules.route_uplink("fleet/all", "dev-9"));
        CHECK(route.device_id == "dev-9");
        CHECK(route.payload == "csv:dev-9");
        CHECK(route.property_bag == "k=v&extra=a%20b");
    }
    SUBCASE("a derived id is validated too") {
        hook.id_from_payload = true;
        const auto result = rules.route_uplink("fleet/all", "bad/id");
        REQUIRE(std::holds_alternative<Rejection>(result));
        CHECK(std::get<Rejection>(result).reason == RejectReason::invalid_device_id);
    }
    SUBCASE("no id at all is rejected") {
        const auto result = rules.route_uplink("fleet/all", "x");
        REQUIRE(std::holds_alternative<Rejection>(result));
        CHECK(std::get<Rejection>(result).text.find("empty") != std::string::npos);
    }
    SUBCASE("failing hooks reject with the hook's message") {
        hook.fail_derive = true;
        const auto derive = rules.route_uplink("fleet/all", "x");
        REQUIRE(std::holds_alternative<Rejection>(derive));
        CHECK(std::get<Rejection>(derive).reason == RejectReason::hook_failed);
        CHECK(std::get<Rejection>(derive).text == "plugin \"fake\" failed: cannot derive");
        hook.fail_derive = false;
        hook.id_from_payload = true;
        hook.fail_uplink = true;
        const auto transform = rules.route_uplink("fleet/all", "d1");
        REQUIRE(std::holds_alternative<Rejection>(transform));
        CHECK(std::get<Rejection>(transform).text == "plugin \"fake\" failed: bad payload");
    }
    SUBCASE("a hook cannot add a reserved system property") {
        hook.id_from_payload = true;
        hook.add_properties = {{"$.to", "/devices/other"}};
        const auto result = rules.route_uplink("fleet/all", "d1");
        REQUIRE(std::holds_alternative<Rejection>(result));
        CHECK(std::get<Rejection>(result).reason == RejectReason::invalid_property);
        hook.add_properties = {{"iothub-ack", "full"}};
        CHECK(std::get<Rejection>(rules.route_uplink("fleet/all", "d1")).reason ==
              RejectReason::invalid_property);
        hook.add_properties = {{"", "x"}};
        CHECK(std::get<Rejection>(rules.route_uplink("fleet/all", "d1")).reason ==
              RejectReason::invalid_property);
    }
    SUBCASE("reported payloads are checked after the transform") {
        hook.fixed_id = "d1";
        CHECK(std::holds_alternative<UplinkRoute>(rules.route_uplink("fleet/state", "{}")));
        hook.uplink_prefix = "x";
        const auto result = rules.route_uplink("fleet/state", "{}");
        REQUIRE(std::holds_alternative<Rejection>(result));
        CHECK(std::get<Rejection>(result).reason == RejectReason::payload_not_json_object);
    }
}

TEST_CASE("routes give their upstream IoT Hub topic") {
    const MappingSet rules = load_ok(kUplinkRules, fixed_clock());
    const auto upstream = [&](const char* topic, const char* payload) {
        return upstream_topic(std::get<UplinkRoute>(rules.route_uplink(topic, payload)), "7");
    };
    CHECK(upstream("gw/g1/a", "1") == "devices/gw:g1/messages/events/");
    CHECK(upstream("plant/n/s/raw/1", "1") == "devices/n-s/messages/events/v=1");
    CHECK(upstream("plant/n/s/state", "{}") == "$iothub/twin/PATCH/properties/reported/?$rid=7");
    CHECK(upstream("plant/n/s/twin/get/1", "") == "$iothub/twin/GET/?$rid=7");
    CHECK(upstream("plant/n/s/rpc/m/1/reply/404", "") == "$iothub/methods/res/404/?$rid=7");
    CHECK(upstream("plant/n/s/debug/x", "") == "");
    // Built by the session's own builders: the request id is percent-encoded as on the wire.
    const auto route = std::get<UplinkRoute>(rules.route_uplink("plant/n/s/twin/get/1", ""));
    CHECK(upstream_topic(route, "{rid}") == "$iothub/twin/GET/?$rid=%7Brid%7D");
}
