#include <doctest/doctest.h>

#include "hubgate/mappings/topic_pattern.hpp"

using namespace hubgate::mappings;

namespace {

TopicPattern compiled(std::string_view text) {
    auto result = TopicPattern::compile(text);
    INFO(std::string(text));
    REQUIRE(std::holds_alternative<TopicPattern>(result));
    return std::get<TopicPattern>(std::move(result));
}

std::string captures_text(const Captures& captures) {
    std::string text;
    for (const auto& c : captures)
        text += std::string(c.name) + "=" + c.value + ";";
    return text;
}

}  // namespace

TEST_CASE("patterns match topics and capture named levels") {
    struct Row {
        const char* pattern;
        const char* topic;
        bool matches;
        const char* captures;
    };
    const Row rows[] = {
        {"plant/{site}/{line}/telemetry", "plant/north/7/telemetry", true, "site=north;line=7;"},
        {"plant/{site}/{line}/telemetry", "plant/north/telemetry", false, ""},
        {"plant/{site}/{line}/telemetry", "plant/north/7/telemetry/x", false, ""},
        // A capture never matches an empty level; '+' does (MQTT semantics).
        {"plant/{site}/x", "plant//x", false, ""},
        {"plant/+/x", "plant//x", true, ""},
        {"plant/{site}", "plant/", false, ""},
        // Tail captures: one or more non-empty levels, joined with '/'.
        {"dev/{id}/{rest...}", "dev/a/b/c/d", true, "id=a;rest=b/c/d;"},
        {"dev/{id}/{rest...}", "dev/a/b", true, "id=a;rest=b;"},
        {"dev/{id}/{rest...}", "dev/a", false, ""},
        {"dev/{id}/{rest...}", "dev/a/", false, ""},
        {"dev/{id}/{rest...}", "dev/a/b//c", false, ""},
        // '#' matches zero or more levels, including the parent level.
        {"dev/#", "dev", true, ""},
        {"dev/#", "dev/a/b", true, ""},
        {"#", "anything/at/all", true, ""},
        // Regular-expression characters are literal.
        {"a.b/{x}", "aXb/1", false, ""},
        {"a.b/{x}", "a.b/1", true, "x=1;"},
        {"a*/(x)|[y]/^z$", "a*/(x)|[y]/^z$", true, ""},
        {"a*/(x)|[y]/^z$", "aaa/x/y/z", false, ""},
        {"a\\d/{x}", "a\\d/5", true, "x=5;"},
        {"a\\d/{x}", "a5/5", false, ""},
        // Wildcards never match a first level starting with '$' (MQTT).
        {"+/x", "$SYS/x", false, ""},
        {"#", "$SYS/x", false, ""},
        {"{a}/x", "$SYS/x", false, ""},
        {"$SYS/{a}", "$SYS/x", true, "a=x;"},
        // Captures take what is in the level, including characters of other syntaxes.
        {"p/{x}", "p/a&b=c", true, "x=a&b=c;"},
    };
    for (const Row& row : rows) {
        INFO(std::string(row.pattern));
        INFO(std::string(row.topic));
        const TopicPattern pattern = compiled(row.pattern);
        Captures captures;
        CHECK(pattern.match(row.topic, &captures) == row.matches);
        CHECK(captures_text(captures) == row.captures);
    }
}

TEST_CASE("bad patterns are refused with the offset of the fault") {
    struct Row {
        const char* pattern;
        std::size_t offset;
        const char* message_part;
    };
    const Row rows[] = {
        {"", 0, "empty"},
        {"a/#/b", 2, "last level"},
        {"a/{rest...}/b", 2, "last level"},
        {"a/x+/b", 3, "whole level"},
        {"a/{x}y", 2, "whole level"},
        {"a/x{y}", 3, "whole level"},
        {"a/{}", 3, "without a name"},
        {"a/{1x}", 3, "letters"},
        {"a/{x-y}", 4, "letters"},
        {"a/{x}/{x}", 0, "twice"},
        {"a/}", 2, "whole level"},
    };
    for (const Row& row : rows) {
        INFO(std::string(row.pattern));
        auto result = TopicPattern::compile(row.pattern);
        REQUIRE(std::holds_alternative<PatternError>(result));
        const auto& error = std::get<PatternError>(result);
        CHECK(error.offset == row.offset);
        CHECK(error.message.find(row.message_part) != std::string::npos);
    }
}

TEST_CASE("overlap tells whether one topic can match two patterns") {
    struct Row {
        const char* a;
        const char* b;
        bool overlaps;
    };
    const Row rows[] = {
        {"a/{x}", "a/+", true},
        {"a/{x}", "a/b", true},
        {"a/{x}", "b/{x}", false},
        {"a/{x}/c", "a/b/{y}", true},
        {"a/#", "a", true},
        {"a/{rest...}", "a", false},
        {"a/{rest...}", "a/b/c", true},
        {"a/{x}", "a/", false},  // a capture never takes an empty level
        {"a/+", "a/", true},
        {"#", "x/y", true},
        {"a/b", "a/b/c", false},
        {"a/+/c", "a/b/#", true},
    };
    for (const Row& row : rows) {
        INFO(std::string(row.a));
        INFO(std::string(row.b));
        CHECK(compiled(row.a).overlaps(compiled(row.b)) == row.overlaps);
        CHECK(compiled(row.b).overlaps(compiled(row.a)) == row.overlaps);
    }
}

TEST_CASE("patterns give their MQTT subscription filter") {
    CHECK(compiled("plant/{site}/+/{rest...}").mqtt_filter() == "plant/+/+/#");
    CHECK(compiled("a/b/#").mqtt_filter() == "a/b/#");
    CHECK(compiled("a.b/c").mqtt_filter() == "a.b/c");
}
