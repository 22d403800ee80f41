#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "mapping_fixture.hpp"

using namespace hubgate::mappings;
using namespace hubgate::mappings::test;

namespace {

// The first error's "file:line:col" and whether its text contains `part`.
struct Expected {
    const char* name;
    const char* text;
    const char* position;  // "bad.toml:L:C"
    const char* part;
};

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string position_of(const LoadDiagnostic& d) {
    return d.file + ":" + std::to_string(d.line) + ":" + std::to_string(d.column);
}

}  // namespace

TEST_CASE("every fault of a mapping file is reported with file:line:col") {
    const Expected rows[] = {
        {"toml syntax", "[[devices]\nid = 1", "bad.toml:1:11", ""},
        {"unknown top-level key", "colour = 1\n[[devices]]\nid = \"x\"", "bad.toml:1:1",
         "colour: unknown key (allowed: devices)"},
        {"no devices", "# nothing\n", "bad.toml:1:1", "no [[devices]]"},
        {"unknown class key", "[[devices]]\nid = \"x\"\nuplinks = {}\n", "bad.toml:3:1",
         "devices[0].uplinks: unknown key (allowed: name, id, plugins, uplink, downlink, "
         "static)"},
        {"bad pattern", "[[devices]]\nid = \"x\"\n[devices.uplink]\n\"a/b#\" = \"telemetry\"\n",
         "bad.toml:4:1", "bad topic pattern \"a/b#\""},
        {"bad kind", "[[devices]]\nid = \"x\"\n[devices.uplink]\n\"a/b\" = \"telemtry\"\n",
         "bad.toml:4:9", "unknown kind \"telemtry\" (allowed: telemetry, reported, twin-get"},
        {"missing send", "[[devices]]\nid = \"x\"\n[devices.uplink]\n\"a/b\" = { id = \"x\" }\n",
         "bad.toml:4:9", "missing key \"send\""},
        {"unknown capture in id",
         "[[devices]]\nid = \"{site}-{nope}\"\n[devices.uplink]\n\"a/{site}\" = \"telemetry\"\n",
         "bad.toml:2:6", "unknown name {nope}"},
        {"unknown capture in property",
         "[[devices]]\nid = \"x\"\n[devices.uplink]\n"
         "\"a/{site}\" = { send = \"telemetry\", properties = { s = \"{sight}\" } }\n",
         "bad.toml:4:55", "unknown name {sight} in \"{sight}\" (known here: site, device_id, now)"},
        {"reserved property",
         "[[devices]]\nid = \"x\"\n[devices.uplink]\n"
         "\"a/b\" = { send = \"telemetry\", properties = { \"$.to\" = \"x\" } }\n",
         "bad.toml:4:46", "\"$.to\" is reserved"},
        {"key for another kind",
         "[[devices]]\nid = \"x\"\n[devices.uplink]\n"
         "\"a/b\" = { send = \"reported\", reply = \"x\" }\n",
         "bad.toml:4:30", "reply: unknown key (allowed: send, id, plugins)"},
        {"bad template",
         "[[devices]]\nid = \"{site\"\n[devices.uplink]\n\"a/{site}\" = \"telemetry\"\n",
         "bad.toml:2:6", "unterminated '{'"},
        {"status in twin reply",
         "[[devices]]\nid = \"x\"\n[devices.uplink]\n"
         "\"a/b\" = { send = \"twin-get\", reply = \"a/res/{status}\" }\n",
         "bad.toml:4:38", "{status} is not known yet"},
        {"bad status",
         "[[devices]]\nid = \"x\"\n[devices.uplink]\n"
         "\"a/b\" = { send = \"method-reply\", status = \"ok\" }\n",
         "bad.toml:4:43", "status: must be an integer status code"},
        {"reserved capture",
         "[[devices]]\nid = \"x\"\n[devices.uplink]\n\"a/{now}\" = \"telemetry\"\n", "bad.toml:4:1",
         "reserved name"},
        {"no id", "[[devices]]\n[devices.uplink]\n\"a/b\" = \"telemetry\"\n", "bad.toml:3:1",
         "needs an `id` template"},
        {"unknown plugin", "[[devices]]\nid = \"x\"\nplugins = [\"csv\"]\n", "bad.toml:3:12",
         "unknown plugin \"csv\""},
        {"unknown downlink", "[[devices]]\nid = \"x\"\n[devices.downlink]\nc2c = \"a\"\n",
         "bad.toml:4:1", "c2c: unknown key (allowed: c2d, desired, desired_patch, method, twin)"},
        {"downlink unknown name",
         "[[devices]]\nid = \"x\"\n[devices.uplink]\n\"a/{site}\" = \"ignore\"\n"
         "[devices.downlink]\nc2d = \"b/{site}/{rid}\"\n",
         "bad.toml:6:7", "unknown name {rid}"},
        {"properties outside c2d",
         "[[devices]]\nid = \"x\"\n[devices.downlink]\ndesired = \"a/{properties}\"\n",
         "bad.toml:4:11", "unknown name {properties}"},
        {"bad retain",
         "[[devices]]\nid = \"x\"\n[devices.downlink]\n"
         "desired = { topic = \"a\", retain = \"yes\" }\n",
         "bad.toml:4:35", "retain: must be true or false"},
        {"bad qos",
         "[[devices]]\nid = \"x\"\n[devices.downlink]\nc2d = { topic = \"a\", qos = 3 }\n",
         "bad.toml:4:28", "qos: must be 0, 1 or 2"},
        {"bad timeout",
         "[[devices]]\nid = \"x\"\n[devices.downlink]\n"
         "method = { topic = \"a/{method}\", timeout = \"soon\" }\n",
         "bad.toml:4:44", "timeout: must be a duration"},
        {"timeout on c2d",
         "[[devices]]\nid = \"x\"\n[devices.downlink]\n"
         "c2d = { topic = \"a\", timeout = \"1s\" }\n",
         "bad.toml:4:22", "timeout: unknown key (allowed: topic, retain, qos)"},
        {"bad method reply pattern",
         "[[devices]]\nid = \"x\"\n[devices.downlink]\n"
         "method = { topic = \"a/{method}\", reply = \"a/{method\" }\n",
         "bad.toml:4:42", "bad topic pattern"},
        {"bad static id", "[[devices]]\nid = \"x\"\n[devices.static]\n\"a/b\" = { site = \"x\" }\n",
         "bad.toml:4:1", "'/' at offset 1"},
        {"twin answer has nowhere to go",
         "[[devices]]\nid = \"x\"\n[devices.uplink]\n\"a/get\" = \"twin-get\"\n", "bad.toml:4:1",
         "needs `reply` or a [devices.downlink] twin topic"},
        {"bad desired send",
         "[[devices]]\nid = \"x\"\n[devices.downlink]\n"
         "desired = { topic = \"a\", send = \"delta\" }\n",
         "bad.toml:4:33", "send: must be \"state\" or \"patch\""},
        {"send on desired_patch",
         "[[devices]]\nid = \"x\"\n[devices.downlink]\n"
         "desired_patch = { topic = \"a\", send = \"state\" }\n",
         "bad.toml:4:32", "send: unknown key (allowed: topic, retain, qos)"},
        {"two patch topics",
         "[[devices]]\nid = \"x\"\n[devices.downlink]\n"
         "desired = { topic = \"a\", send = \"patch\" }\ndesired_patch = \"b\"\n",
         "bad.toml:5:17", "desired patches already go to the topic at line 4"},
        {"duplicate class", "[[devices]]\nname = \"a\"\nid = \"x\"\n[[devices]]\nname = \"a\"\n",
         "bad.toml:5:8", "defined twice"},
    };
    for (const Expected& row : rows) {
        INFO(std::string(row.name));
        const auto diagnostics = load_errors(row.text);
        INFO(describe(diagnostics));
        REQUIRE_FALSE(diagnostics.empty());
        const LoadDiagnostic& first = diagnostics.front();
        CHECK(first.severity == LoadDiagnostic::Severity::error);
        CHECK(position_of(first) == row.position);
        CHECK(first.message.find(row.part) != std::string::npos);
        CHECK(first.to_string().starts_with(std::string(row.position) + ": error: "));
    }
}

TEST_CASE("several faults are all reported") {
    const auto diagnostics = load_errors(
        "[[devices]]\nid = \"{a}\"\ncolour = 1\n[devices.uplink]\n\"x/{a}\" = \"nope\"\n"
        "\"y/{b}\" = \"telemetry\"\n");
    INFO(describe(diagnostics));
    CHECK(diagnostics.size() == 3);  // colour, kind "nope", {a} not captured by y/{b}
}

TEST_CASE("unnamed device classes of different files do not collide") {
    const MappingSource sources[] = {
        {"one.toml", "[[devices]]\nid = \"a-{x}\"\n[devices.uplink]\n\"a/{x}\" = \"telemetry\"\n"},
        {"two.toml", "[[devices]]\nid = \"b-{x}\"\n[devices.uplink]\n\"b/{x}\" = \"telemetry\"\n"},
    };
    const LoadResult result = MappingSet::load_texts(sources);
    INFO(describe(result.diagnostics));
    REQUIRE(result.ok());
    const auto route = result.set->route_uplink("b/1", "");
    REQUIRE(std::holds_alternative<UplinkRoute>(route));
    CHECK(std::get<UplinkRoute>(route).device_class == "two.toml:devices[0]");
}

TEST_CASE("a missing file is an error naming it") {
    const std::string paths[] = {"/nonexistent/rules.toml"};
    const LoadResult result = MappingSet::load_files(paths);
    CHECK_FALSE(result.ok());
    REQUIRE(result.diagnostics.size() == 1);
    CHECK(result.diagnostics[0].to_string() ==
          "/nonexistent/rules.toml: error: cannot read the mapping file");
}

TEST_CASE("overlapping rules are reported with both positions and the winner") {
    const MappingSource sources[] = {
        {"one.toml",
         "[[devices]]\nname = \"a\"\nid = \"x\"\n[devices.uplink]\n"
         "\"plant/{site}/telemetry\" = \"telemetry\"\n"},
        {"two.toml",
         "[[devices]]\nname = \"b\"\nid = \"y\"\n[devices.uplink]\n"
         "\"plant/north/+\" = \"telemetry\"\n"
         "\"plant/{x}/telemetry\" = \"ignore\"\n"
         "\"other/{x}\" = \"ignore\"\n"},
    };
    const LoadResult result = MappingSet::load_texts(sources);
    INFO(describe(result.diagnostics));
    REQUIRE(result.ok());  // overlaps are warnings: precedence decides
    std::vector<std::string> warnings;
    for (const auto& d : result.diagnostics) {
        CHECK(d.severity == LoadDiagnostic::Severity::warning);
        warnings.push_back(d.to_string());
    }
    REQUIRE(warnings.size() == 3);
    CHECK(warnings[0] ==
          "two.toml:5:1: warning: topic pattern \"plant/north/+\" and \"plant/{site}/telemetry\" "
          "(one.toml:5) can match the same topic; \"plant/north/+\" (two.toml:5) wins: more "
          "specific");
    CHECK(warnings[1] ==
          "two.toml:6:1: warning: topic pattern \"plant/{x}/telemetry\" and "
          "\"plant/{site}/telemetry\" (one.toml:5) can match the same topic; "
          "\"plant/{site}/telemetry\" (one.toml:5) wins: loaded first");
    CHECK(warnings[2].find("\"plant/{x}/telemetry\" and \"plant/north/+\"") != std::string::npos);
}

TEST_CASE("the example mapping files load cleanly") {
    std::vector<std::string> paths;
    for (const auto& entry :
         std::filesystem::directory_iterator(HUBGATE_SOURCE_DIR "/config/mappings")) {
        if (entry.path().extension() == ".toml")
            paths.push_back(entry.path().string());
    }
    REQUIRE_FALSE(paths.empty());
    const LoadResult result = MappingSet::load_files(paths);
    INFO(describe(result.diagnostics));
    CHECK(result.ok());
    CHECK(result.diagnostics.empty());
}

TEST_CASE("the example in docs/mapping-rules.md loads") {
    const std::string doc = read_text(HUBGATE_SOURCE_DIR "/docs/mapping-rules.md");
    const std::size_t start = doc.find("```toml\n");
    REQUIRE(start != std::string::npos);
    const std::size_t end = doc.find("```", start + 8);
    REQUIRE(end != std::string::npos);
    FakeHook csv("csv");
    LoadOptions options;
    options.hooks = [&](std::string_view name) -> MessageHook* {
        return name == "csv" ? &csv : nullptr;
    };
    const MappingSet rules = load_ok(doc.substr(start + 8, end - start - 8), options);
    const auto route = rules.route_uplink("plant/north/1/s7/telemetry", "{}");
    REQUIRE(std::holds_alternative<UplinkRoute>(route));
    CHECK(std::get<UplinkRoute>(route).device_id == "north-1-s7");
}
