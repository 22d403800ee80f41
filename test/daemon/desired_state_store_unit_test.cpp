// DesiredStateStore: the desired document as IoT Hub holds it, kept on disk per device.
#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "gateway/core/desired_state_store.hpp"
#include "harness/scratch_dir.hpp"

namespace hubgate::test {

namespace {

using core::DesiredOutcome;
using core::DesiredStateStore;
using nlohmann::json;

struct StateFolder {
    ScratchDir scratch{"hubgate-desired"};
    const std::filesystem::path& path = scratch.path();
};

session::DesiredUpdate patch(const std::string& device, json body, int64_t version) {
    body["$version"] = version;
    return {device, std::move(body), version, false};
}

session::DesiredUpdate complete(const std::string& device, json body, int64_t version) {
    body["$version"] = version;
    return {device, std::move(body), version, true};
}

}  // namespace

TEST_CASE("desired patches merge into the whole document, null deletes") {
    StateFolder folder;
    DesiredStateStore store(folder.path);
    std::string error;
    REQUIRE(store.load(error));

    auto first = store.apply(patch("d1", {{"rate_s", 7}}, 2));
    CHECK(first.outcome == DesiredOutcome::changed);
    CHECK(first.state == json{{"rate_s", 7}, {"$version", 2}});
    auto second = store.apply(patch("d1", {{"mode", "eco"}}, 3));
    CHECK(second.outcome == DesiredOutcome::changed);
    CHECK(second.state == json{{"rate_s", 7}, {"mode", "eco"}, {"$version", 3}});
    // Nested objects merge; null removes a key, at any depth.
    store.apply(patch("d1", {{"limits", {{"lo", 1}, {"hi", 9}}}}, 4));
    auto deleted =
        store.apply(patch("d1", {{"rate_s", nullptr}, {"limits", {{"lo", nullptr}}}}, 5));
    CHECK(deleted.state == json{{"mode", "eco"}, {"limits", {{"hi", 9}}}, {"$version", 5}});
    // Devices are independent.
    CHECK(store.apply(patch("d2", {{"x", 1}}, 2)).state == json{{"x", 1}, {"$version", 2}});
    CHECK(store.state_of("d1")->value("mode", "") == "eco");
}

TEST_CASE("a desired patch whose version is not newer is ignored") {
    StateFolder folder;
    DesiredStateStore store(folder.path);
    std::string error;
    REQUIRE(store.load(error));
    store.apply(patch("d1", {{"mode", "eco"}}, 5));
    const auto older = store.apply(patch("d1", {{"mode", "boost"}}, 4));
    CHECK(older.outcome == DesiredOutcome::stale);
    const auto same = store.apply(patch("d1", {{"mode", "boost"}}, 5));
    CHECK(same.outcome == DesiredOutcome::stale);
    CHECK(store.state_of("d1") == json{{"mode", "eco"}, {"$version", 5}});
    CHECK(store.apply(patch("d1", {{"mode", "boost"}}, 6)).outcome == DesiredOutcome::changed);
}

TEST_CASE("the document of a twin GET replaces a stale one, even with a lower version") {
    StateFolder folder;
    DesiredStateStore store(folder.path);
    std::string error;
    REQUIRE(store.load(error));
    store.apply(patch("d1", {{"rate_s", 7}}, 2));
    store.apply(patch("d1", {{"mode", "eco"}}, 3));
    // Patches missed while offline: the hub's document is the truth, keys it lacks are gone.
    const auto replaced = store.apply(complete("d1", {{"mode", "off"}, {"fan", true}}, 9));
    CHECK(replaced.outcome == DesiredOutcome::changed);
    CHECK(replaced.state == json{{"mode", "off"}, {"fan", true}, {"$version", 9}});
    // The same document again changes nothing (no write, nothing to publish).
    CHECK(store.apply(complete("d1", {{"mode", "off"}, {"fan", true}}, 9)).outcome ==
          DesiredOutcome::unchanged);
    // A twin created anew counts from 1 again: its document still wins.
    const auto recreated = store.apply(complete("d1", {{"mode", "eco"}}, 1));
    CHECK(recreated.outcome == DesiredOutcome::changed);
    CHECK(recreated.state == json{{"mode", "eco"}, {"$version", 1}});
}

TEST_CASE("the desired documents survive a restart, each in a file of its own") {
    StateFolder folder;
    {
        DesiredStateStore store(folder.path);
        std::string error;
        REQUIRE(store.load(error));
        store.apply(patch("plant-1", {{"rate_s", 7}}, 2));
        store.apply(patch("plant-1", {{"mode", "eco"}}, 3));
        store.apply(patch("..", {{"odd", "id"}}, 2));
    }
    DesiredStateStore again(folder.path);
    std::string error;
    REQUIRE(again.load(error));
    const auto all = again.all();
    REQUIRE(all.size() == 2);
    CHECK(again.state_of("plant-1") == json{{"rate_s", 7}, {"mode", "eco"}, {"$version", 3}});
    CHECK(again.state_of("..") == json{{"odd", "id"}, {"$version", 2}});
    // The id is encoded in the file name: ".." names no other folder.
    CHECK(again.file_of("..").filename() == "%2E%2E.json");
    CHECK(again.file_of("..").parent_path() == folder.path / "desired");
    CHECK(DesiredStateStore::device_of("%2E%2E.json") == "..");
    CHECK_FALSE(DesiredStateStore::device_of("a.json.tmp"));
    CHECK_FALSE(DesiredStateStore::device_of("%2.json"));
    // Nothing of an interrupted write is left behind.
    for (const auto& entry : std::filesystem::directory_iterator(folder.path / "desired")) {
        CHECK(entry.path().extension() == ".json");
    }
}

TEST_CASE("a damaged desired file is moved aside, the others load") {
    StateFolder folder;
    {
        DesiredStateStore store(folder.path);
        std::string error;
        REQUIRE(store.load(error));
        store.apply(patch("good", {{"x", 1}}, 2));
        store.apply(patch("bad", {{"x", 1}}, 2));
    }
    std::ofstream(folder.path / "desired" / "bad.json", std::ios::trunc) << "{\"x\": 1";
    DesiredStateStore again(folder.path);
    std::string error;
    REQUIRE(again.load(error));
    CHECK(again.state_of("good"));
    CHECK_FALSE(again.state_of("bad"));
    CHECK(std::filesystem::exists(folder.path / "desired" / "bad.json.bad"));
    // A new patch starts the device afresh.
    CHECK(again.apply(patch("bad", {{"y", 2}}, 3)).state == json{{"y", 2}, {"$version", 3}});
}

}  // namespace hubgate::test
