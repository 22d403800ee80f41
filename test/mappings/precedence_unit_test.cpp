#include <doctest/doctest.h>

#include <algorithm>

#include "hubgate/mappings/topic_pattern.hpp"
#include "mapping_fixture.hpp"

using namespace hubgate::mappings;
using namespace hubgate::mappings::test;

// Each rule's id names it, so the winner of a topic is visible in the route.
TEST_CASE("the most specific rule wins, then the rule loaded first") {
    const MappingSource sources[] = {
        {"first.toml", R"(
[[devices]]
name = "first"
id = "first"
  [devices.uplink]
  "p/+/x" = { send = "telemetry", id = "plus-x" }
  "p/{a}/x" = { send = "telemetry", id = "capture-x" }
  "p/#" = { send = "telemetry", id = "hash" }
  "p/{a}/{rest...}" = { send = "telemetry", id = "tail" }
)"},
        {"second.toml", R"(
[[devices]]
name = "second"
id = "second"
  [devices.uplink]
  "p/lit/x" = { send = "telemetry", id = "literal-x" }
  "p/lit/{b}" = { send = "telemetry", id = "literal-capture" }
  "p/{a}/x/y" = { send = "telemetry", id = "deeper" }
  "p" = { send = "telemetry", id = "exact-p" }
)"},
    };
    const LoadResult loaded = MappingSet::load_texts(sources);
    INFO(describe(loaded.diagnostics));
    REQUIRE(loaded.ok());
    const struct {
        const char* topic;
        const char* winner;
    } rows[] = {
        {"p/lit/x", "literal-x"},        // literal beats single-level at level 2
        {"p/lit/z", "literal-capture"},  // literal level 2, then capture
        {"p/other/x", "plus-x"},         // same shape as capture-x: loaded first
        {"p//x", "plus-x"},              // '+' takes an empty level
        {"p/other/x/y", "deeper"},       // single-level beats multi-level at level 3
        {"p/other/z/w", "tail"},         // level 2: {a} (single-level) beats "#"
        {"p", "exact-p"},                // an ending pattern beats '#' matching zero levels
        {"p/other", "hash"},
    };
    for (const auto& row : rows) {
        INFO(std::string(row.topic));
        const UplinkResult result = loaded.set->route_uplink(row.topic, "1");
        REQUIRE(std::holds_alternative<UplinkRoute>(result));
        CHECK(std::get<UplinkRoute>(result).device_id == row.winner);
    }
}

TEST_CASE("when the preferred rule cannot take the topic the next one is tried") {
    const MappingSet rules = load_ok(R"(
[[devices]]
id = "x"
  [devices.uplink]
  "q/{a}/end" = { send = "telemetry", id = "capture" }
  "q/#" = { send = "telemetry", id = "hash" }
)");
    // {a} never takes an empty level: the less specific '#' gets the topic.
    CHECK(std::get<UplinkRoute>(rules.route_uplink("q//end", "1")).device_id == "hash");
    CHECK(std::get<UplinkRoute>(rules.route_uplink("q/a/end", "1")).device_id == "capture");
}

namespace {

// The documented precedence, written independently of the trie: level ranks from the left
// (end of pattern < literal < single-level < multi-level), then load order.
int rank_at(const TopicPattern& pattern, std::size_t index) {
    if (index >= pattern.levels().size())
        return -1;
    const auto kind = pattern.levels()[index].kind;
    if (kind == TopicPattern::LevelKind::literal)
        return 0;
    return is_single_level(kind) ? 1 : 2;
}

bool wins_over(const TopicPattern& a, const TopicPattern& b) {
    for (std::size_t i = 0;; ++i) {
        const int ra = rank_at(a, i);
        const int rb = rank_at(b, i);
        if (ra != rb)
            return ra < rb;
        if (ra == -1 || ra == 2)
            return false;  // same shape: the earlier rule keeps winning
    }
}

}  // namespace

TEST_CASE("the trie picks the same winner as the documented precedence") {
    const char* level_choices[] = {"a", "b", "", "+", "{c}", "#", "{t...}"};
    const char* topic_levels[] = {"a", "b", "", "z"};
    std::uint32_t seed = 12345;
    const auto next = [&](std::uint32_t bound) {
        seed = seed * 1103515245u + 12345u;
        return (seed >> 16) % bound;
    };
    for (int round = 0; round < 40; ++round) {
        std::vector<std::string> patterns;
        std::string text = "[[devices]]\nid = \"x\"\n[devices.uplink]\n";
        for (int r = 0; r < 25; ++r) {
            std::string pattern;
            const std::uint32_t depth = 1 + next(4);
            for (std::uint32_t d = 0; d < depth; ++d) {
                const char* level = level_choices[next(7)];
                const bool multi =
                    std::string_view(level) == "#" || std::string_view(level) == "{t...}";
                if (multi && d + 1 < depth)
                    level = "a";
                if (d > 0)
                    pattern += '/';
                pattern += level == std::string_view("{c}") ? "{c" + std::to_string(d) + "}"
                                                            : std::string(level);
            }
            if (pattern.empty())
                continue;
            if (std::find(patterns.begin(), patterns.end(), pattern) != patterns.end())
                continue;
            patterns.push_back(pattern);
            text += "\"" + pattern + "\" = { send = \"telemetry\", id = \"r" +
                    std::to_string(patterns.size() - 1) + "\" }\n";
        }
        const MappingSet rules = load_ok(text);
        std::vector<TopicPattern> compiled;
        for (const auto& p : patterns)
            compiled.push_back(std::get<TopicPattern>(TopicPattern::compile(p)));
        for (int t = 0; t < 60; ++t) {
            std::string topic;
            const std::uint32_t depth = 1 + next(5);
            for (std::uint32_t d = 0; d < depth; ++d) {
                if (d > 0)
                    topic += '/';
                topic += topic_levels[next(4)];
            }
            int expected = -1;
            for (std::size_t i = 0; i < compiled.size(); ++i) {
                if (!compiled[i].match(topic))
                    continue;
                if (expected < 0 ||
                    wins_over(compiled[i], compiled[static_cast<std::size_t>(expected)])) {
                    expected = static_cast<int>(i);
                }
            }
            INFO(text);
            INFO(topic);
            const UplinkResult result = rules.route_uplink(topic, "1");
            if (expected < 0) {
                CHECK(std::holds_alternative<NoMatch>(result));
            } else {
                REQUIRE(std::holds_alternative<UplinkRoute>(result));
                CHECK(std::get<UplinkRoute>(result).device_id == "r" + std::to_string(expected));
            }
        }
    }
}
