// Merging held-back reported patches: one PATCH must leave the twin as the patches in order would.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "gateway/core/reported_merge.hpp"

namespace hubgate::test {

namespace {

using core::compose_merge_patch;
using core::ReportedMerge;
using nlohmann::json;

// What IoT Hub does with a reported patch: RFC 7386 on the reported section.
json applied(json twin, const std::vector<json>& patches) {
    for (const auto& patch : patches) {
        twin.merge_patch(patch);
    }
    return twin;
}

json merged_of(const std::vector<json>& patches) {
    ReportedMerge merge;
    std::uint64_t seq = 1;
    for (const auto& patch : patches) {
        REQUIRE(merge.add(seq++, patch));
    }
    return merge.patch();
}

}  // namespace

TEST_CASE("merged reported patches leave the twin as the patches in order do") {
    const json twin = {{"fw", "1.0"}, {"net", {{"ip", "10.0.0.2"}, {"rssi", -70}}}, {"old", 1}};
    const std::vector<std::vector<json>> cases = {
        {{{"a", 1}}, {{"b", 2}}},
        {{{"a", 1}}, {{"a", 2}}},                                    // the later value wins
        {{{"old", nullptr}}},                                        // null deletes
        {{{"a", 1}}, {{"a", nullptr}}},                              // set, then deleted
        {{{"a", nullptr}}, {{"a", 5}}},                              // deleted, then set
        {{{"net", {{"rssi", -60}}}}, {{"net", {{"ip", nullptr}}}}},  // nested merge and delete
        {{{"net", nullptr}}, {{"x", 1}}},
        {{{"net", {{"rssi", -50}}}}, {{"net", 3}}},  // an object replaced by a value
        {{{"fw", "1.1"}}, {{"fw", "1.2"}}, {{"fw", "1.3"}, {"ok", true}}},
    };
    for (const auto& patches : cases) {
        CAPTURE(json(patches).dump());
        CHECK(applied(twin, {merged_of(patches)}) == applied(twin, patches));
    }
}

TEST_CASE("fifty patches become one whose result equals applying all fifty") {
    std::vector<json> patches;
    for (int i = 0; i < 50; ++i) {
        json patch = {{"seq", i}, {"k" + std::to_string(i % 7), i}};
        if (i % 10 == 9) {
            patch["k" + std::to_string((i + 3) % 7)] = nullptr;
        }
        patches.push_back(std::move(patch));
    }
    ReportedMerge merge;
    for (std::size_t i = 0; i < patches.size(); ++i) {
        REQUIRE(merge.add(100 + i, patches[i]));
    }
    CHECK(merge.seqs().size() == 50);
    CHECK(merge.seqs().front() == 100);
    CHECK(merge.seqs().back() == 149);
    CHECK(applied(json::object(), {merge.patch()}) == applied(json::object(), patches));
    CHECK(applied({{"k1", "x"}}, {merge.patch()}) == applied({{"k1", "x"}}, patches));
}

TEST_CASE("a patch no single merge patch can join with the earlier ones ends the run") {
    // "net" set to a value, then given an object: one patch would merge the object into the
    // twin's old "net" object instead of replacing it.
    json merged = {{"net", 3}};
    CHECK_FALSE(compose_merge_patch(merged, {{"net", {{"ip", "x"}}}}));
    CHECK(merged == json{{"net", 3}});  // untouched
    json deleted = {{"net", nullptr}};
    CHECK_FALSE(compose_merge_patch(deleted, {{"net", {{"ip", "x"}}}}));

    ReportedMerge merge;
    REQUIRE(merge.add(1, {{"net", 3}}));
    CHECK_FALSE(merge.add(2, {{"net", {{"ip", "x"}}}}));
    CHECK(merge.seqs() == std::vector<std::uint64_t>{1});
    CHECK_FALSE(merge.add(3, json::array()));  // not an object: never merged
}

TEST_CASE("a merged PATCH stays within its limits") {
    ReportedMerge by_count;
    for (std::size_t i = 0; i < ReportedMerge::kMaxPatches; ++i) {
        REQUIRE(by_count.add(i, {{"k", i}}));
    }
    CHECK_FALSE(by_count.add(1000, {{"k", 1}}));

    ReportedMerge by_size;
    const std::string chunk(ReportedMerge::kMaxBytes / 4, 'x');
    int added = 0;
    while (by_size.add(static_cast<std::uint64_t>(added), {{"k" + std::to_string(added), chunk}})) {
        ++added;
    }
    CHECK(added >= 2);
    CHECK(added <= 4);
    CHECK(by_size.patch().dump().size() <= ReportedMerge::kMaxBytes);
}

}  // namespace hubgate::test
