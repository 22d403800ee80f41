// Values from the cloud ({method}, {rid}, {status}, {version}, {properties}) fill exactly one
// level of a local topic: anything that would add a level, a wildcard or a system topic is refused
// as invalid_local_topic, whichever placeholder carries it.
#include <doctest/doctest.h>

#include <string>

#include "hubgate/mappings/device_directory.hpp"
#include "mapping_fixture.hpp"

using namespace hubgate::mappings;
using namespace hubgate::mappings::test;

namespace {

constexpr const char* kValueRules = R"(
[[devices]]
name = "sensors"
id = "{site}-{sensor}"
  [devices.uplink]
  "plant/{site}/{sensor}/telemetry" = "telemetry"
  [devices.downlink]
  c2d = "plant/{site}/{sensor}/inbox/{properties}"
  desired = "plant/{site}/{sensor}/config/{version}"
  method = "plant/{site}/{sensor}/rpc/{method}/{rid}"
  twin = "plant/{site}/{sensor}/twin/res/{status}/{rid}"

[[devices]]
name = "bare"
id = "bare-{n}"
  [devices.uplink]
  "bare/{n}/telemetry" = "telemetry"
  [devices.downlink]
  method = "{method}/bare/{n}"
  c2d = "{properties}"
)";

// One value in the place of one placeholder.
enum class Slot { method, rid_of_method, rid_of_twin_answer, properties };

struct Case {
    Slot slot;
    std::string value;
};

DownlinkResult render(const MappingSet& rules, const DeviceDirectory& directory, Slot slot,
                      const std::string& value, const char* device = "south-s7") {
    DownlinkVars vars;
    DownlinkKind kind = DownlinkKind::method;
    switch (slot) {
        case Slot::method:
            vars = {.method = value, .rid = "1"};
            break;
        case Slot::rid_of_method:
            vars = {.method = "reboot", .rid = value};
            break;
        case Slot::rid_of_twin_answer:
            kind = DownlinkKind::twin_answer;
            vars = {.rid = value, .status = 200};
            break;
        case Slot::properties:
            kind = DownlinkKind::c2d;
            vars = {.properties = value};
            break;
    }
    return rules.render_downlink(device, kind, vars, "{}", directory);
}

const char* slot_name(Slot slot) {
    switch (slot) {
        case Slot::method:
            return "method";
        case Slot::rid_of_method:
            return "rid (method)";
        case Slot::rid_of_twin_answer:
            return "rid (twin answer)";
        case Slot::properties:
            return "properties";
    }
    return "?";
}

DeviceDirectory seen(const MappingSet& rules) {
    DeviceDirectory directory;
    for (const char* topic : {"plant/south/s7/telemetry", "bare/1/telemetry"}) {
        const auto result = rules.route_uplink(topic, "1");
        REQUIRE(std::holds_alternative<UplinkRoute>(result));
        directory.remember(std::get<UplinkRoute>(result));
    }
    return directory;
}

}  // namespace

TEST_CASE("a value from the cloud that would reshape a local topic is refused") {
    const MappingSet rules = load_ok(kValueRules);
    const DeviceDirectory directory = seen(rules);
    const std::string nul("a\0b", 3);
    const Case rows[] = {
        {Slot::method, "a/b"},
        {Slot::method, "/"},
        {Slot::method, "a+"},
        {Slot::method, "#"},
        {Slot::method, nul},
        {Slot::method, "$SYS"},
        {Slot::rid_of_method, "r/1"},
        {Slot::rid_of_method, "r+1"},
        {Slot::rid_of_method, "r#"},
        {Slot::rid_of_method, nul},
        {Slot::rid_of_method, "$1"},
        {Slot::rid_of_twin_answer, "r/1"},
        {Slot::rid_of_twin_answer, "$r"},
        {Slot::rid_of_twin_answer, "+"},
        {Slot::properties, "a=1/b"},
        {Slot::properties, "a=#"},
        {Slot::properties, "+"},
        {Slot::properties, nul},
    };
    for (const Case& row : rows) {
        INFO(slot_name(row.slot));
        INFO(row.value);
        const auto result = render(rules, directory, row.slot, row.value);
        REQUIRE(std::holds_alternative<Rejection>(result));
        const auto& rejection = std::get<Rejection>(result);
        CHECK(rejection.reason == RejectReason::invalid_local_topic);
        CHECK(rejection.text.find("from the cloud") != std::string::npos);
        // The explanation shows the value printable: no raw NUL or control byte in a log line.
        CHECK(rejection.text.find('\0') == std::string::npos);
    }
}

TEST_CASE("values that fill one topic level pass unchanged") {
    const MappingSet rules = load_ok(kValueRules);
    const DeviceDirectory directory = seen(rules);
    struct Good {
        Slot slot;
        std::string value;
        const char* topic;
    };
    const Good rows[] = {
        {Slot::method, "reboot", "plant/south/s7/rpc/reboot/1"},
        {Slot::method, "a$b", "plant/south/s7/rpc/a$b/1"},
        {Slot::method, "set.mode-2 x", "plant/south/s7/rpc/set.mode-2 x/1"},
        {Slot::rid_of_method, "42", "plant/south/s7/rpc/reboot/42"},
        {Slot::rid_of_twin_answer, "r1", "plant/south/s7/twin/res/200/r1"},
        // hubgate's own property bag keeps system names as "$.": it may start with '$'.
        {Slot::properties, "$.mid=m%231&a=b", "plant/south/s7/inbox/$.mid=m%231&a=b"},
    };
    for (const Good& row : rows) {
        INFO(slot_name(row.slot));
        INFO(row.value);
        const auto result = render(rules, directory, row.slot, row.value);
        if (const auto* rejection = std::get_if<Rejection>(&result))
            FAIL(rejection->text);
        CHECK(std::get<DownlinkRoute>(result).topic == row.topic);
    }
}

TEST_CASE("a value at the start of a topic cannot make it a '$' system topic") {
    const MappingSet rules = load_ok(kValueRules);
    const DeviceDirectory directory = seen(rules);
    const auto method = render(rules, directory, Slot::method, "$SYS", "bare-1");
    REQUIRE(std::holds_alternative<Rejection>(method));
    CHECK(std::get<Rejection>(method).reason == RejectReason::invalid_local_topic);
    // The property bag may start with "$." inside a topic, but not as the topic's first level.
    const auto bag = render(rules, directory, Slot::properties, "$.mid=1", "bare-1");
    REQUIRE(std::holds_alternative<Rejection>(bag));
    CHECK(std::get<Rejection>(bag).reason == RejectReason::invalid_local_topic);
    const auto fine = render(rules, directory, Slot::method, "reboot", "bare-1");
    REQUIRE(std::holds_alternative<DownlinkRoute>(fine));
    CHECK(std::get<DownlinkRoute>(fine).topic == "reboot/bare/1");
}
