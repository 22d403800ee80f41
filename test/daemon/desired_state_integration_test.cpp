// The twin's state both ways, end to end: the desired topic carries the whole desired document
// (also after a restart with the hub away), and reported patches held back by an outage reach
// the hub as one PATCH.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "bridge_env.hpp"
#include "harness/process.hpp"
#include "legacy_client.hpp"

namespace hubgate::test {

namespace {

using Clock = std::chrono::steady_clock;

// The desired document a fresh subscriber finds retained on `topic` (null when none comes).
json retained_state(int port, const std::string& topic, const std::string& client_id,
                    const std::function<bool(const json&)>& until) {
    LegacyClient late(port, client_id);
    if (!late.wait_connected() || !late.subscribe(topic)) {
        return nullptr;
    }
    const auto message = late.wait_for(
        [&](const LegacyMessage& m) {
            return m.topic == topic && m.retain && until(json::parse(m.payload, nullptr, false));
        },
        20s);
    if (!message) {
        const auto seen = late.received();
        return seen.empty() ? json(nullptr) : json::parse(seen.back().payload, nullptr, false);
    }
    return json::parse(message->payload, nullptr, false);
}

// hubgate's counters from `hubgate status --json` (null when it does not answer).

bool wait_for_counter(BridgeEnv& env, const std::string& name, std::uint64_t at_least) {
    for (const auto until = Clock::now() + 30s; Clock::now() < until;) {
        const auto counters = env.status_counters();
        if (counters.is_object() && counters.value(name, std::uint64_t{0}) >= at_least) {
            return true;
        }
        std::this_thread::sleep_for(100ms);  // polling interval of a bounded wait
    }
    return false;
}

}  // namespace

TEST_CASE("a device that subscribes after two desired patches gets the whole desired state") {
    const std::string id = "plant1-s1";
    BridgeEnv env(with_devices({id}));
    env.start_hubgate();
    LegacyClient device(env.local_port(), "legacy-s1");
    REQUIRE(device.wait_connected());
    REQUIRE(device.subscribe("t/plant1/s1/config"));
    REQUIRE(device.publish("t/plant1/s1/telemetry", R"({"seq":1})"));
    REQUIRE(env.hub().wait_for_telemetry(id, 1, 30s).size() == 1);
    REQUIRE(env.hub().wait_for_connected(id));

    REQUIRE(env.hub().patch_twin(id, {{"properties", {{"desired", {{"rate_s", 7}}}}}}).ok());
    REQUIRE(env.hub().patch_twin(id, {{"properties", {{"desired", {{"mode", "eco"}}}}}}).ok());
    REQUIRE(device.wait_for([](const LegacyMessage& m) {
        return json::parse(m.payload, nullptr, false).value("mode", "") == "eco";
    }));

    const auto state =
        retained_state(env.local_port(), "t/plant1/s1/config", "legacy-s1-late",
                       [](const json& doc) { return doc.is_object() && doc.contains("mode"); });
    INFO(state.dump());
    CHECK(state.value("rate_s", 0) == 7);
    CHECK(state.value("mode", "") == "eco");
    CHECK(state.value("$version", 0) == 3);
    CHECK(env.stop_hubgate() == 0);
}

TEST_CASE("a desired change kept before kill -9 is served after a restart with the hub down") {
    const std::string id = "plant1-s2";
    BridgeEnv env(with_devices({id}));
    env.start_hubgate();
    LegacyClient device(env.local_port(), "legacy-s2");
    REQUIRE(device.wait_connected());
    REQUIRE(device.subscribe("t/plant1/s2/config"));
    REQUIRE(device.publish("t/plant1/s2/telemetry", R"({"seq":1})"));
    REQUIRE(env.hub().wait_for_connected(id));
    REQUIRE(env.hub().patch_twin(id, {{"properties", {{"desired", {{"rate_s", 7}}}}}}).ok());
    REQUIRE(device.wait_for([](const LegacyMessage& m) {
        return json::parse(m.payload, nullptr, false).value("rate_s", 0) == 7;
    }));

    // The local broker goes away: the next desired patch cannot be published locally. hubgate
    // has it on disk once the hub delivered it; then it dies without a chance to publish.
    env.stop_local_broker();
    REQUIRE(env.hub().patch_twin(id, {{"properties", {{"desired", {{"mode", "eco"}}}}}}).ok());
    const auto kept = env.dir().path() / "state" / "desired" / (id + ".json");
    bool on_disk = false;
    for (const auto until = Clock::now() + 20s; !on_disk && Clock::now() < until;) {
        on_disk = json::parse(read_file(kept), nullptr, false).value("mode", "") == "eco";
        if (!on_disk)
            std::this_thread::sleep_for(20ms);  // polling interval of a bounded wait
    }
    REQUIRE(on_disk);
    env.kill_hubgate();
    env.hub().stop();

    // A fresh local broker (nothing retained) and no hub: hubgate serves what it kept.
    env.start_local_broker();
    env.start_hubgate();
    const auto state =
        retained_state(env.local_port(), "t/plant1/s2/config", "legacy-s2-late",
                       [](const json& doc) { return doc.is_object() && doc.contains("mode"); });
    INFO(state.dump());
    CHECK(state.value("rate_s", 0) == 7);
    CHECK(state.value("mode", "") == "eco");
    CHECK(state.value("$version", 0) == 3);
    CHECK(env.stop_hubgate() == 0);
}

TEST_CASE("fifty reported patches during a hub outage arrive as one PATCH") {
    const std::string id = "plant1-s3";
    BridgeEnv env(with_devices({id}));
    env.start_hubgate();
    LegacyClient device(env.local_port(), "legacy-s3");
    REQUIRE(device.wait_connected());
    REQUIRE(device.publish("t/plant1/s3/telemetry", R"({"seq":1})"));
    auto& hub = env.hub();
    REQUIRE(hub.wait_for_telemetry(id, 1, 30s).size() == 1);
    REQUIRE(hub.wait_for_connected(id));

    const auto log_at_stop = env.hubgate().output().size();
    hub.stop();
    REQUIRE(env.wait_for_log("session " + id + ": connection lost", 20s, log_at_stop));
    json expected = json::object();
    for (int i = 0; i < 50; ++i) {
        json patch = {{"seq", i}, {"k" + std::to_string(i % 7), i}};
        if (i % 10 == 9) {
            patch["k" + std::to_string((i + 3) % 7)] = nullptr;
        }
        expected.merge_patch(patch);
        REQUIRE(device.publish("t/plant1/s3/state", patch.dump()));
    }
    REQUIRE(device.wait_acknowledged(51, 30s));
    // All fifty in hubgate's spool before the hub returns.
    REQUIRE(wait_for_counter(env, "spool_messages", 50));

    hub.restart();  // a fresh hub: its twin shows only what arrives now
    json reported;
    for (const auto until = Clock::now() + 30s; Clock::now() < until;) {
        const auto twin = hub.get_twin(id);
        if (twin.ok()) {
            reported = twin.body["properties"]["reported"];
            if (reported.value("seq", -1) == 49)
                break;
        }
        std::this_thread::sleep_for(200ms);  // polling interval of a bounded wait
    }
    INFO(reported.dump());
    // The twin's reported $version counts the PATCHes it took: 1 when fresh, 2 after one.
    CHECK(reported.value("$version", 0) == 2);
    reported.erase("$version");
    reported.erase("$metadata");
    CHECK(reported == expected);
    REQUIRE(wait_for_counter(env, "reported_sent", 50));
    CHECK(env.status_counters().value("reported_merged", 0) == 49);
    CHECK(env.stop_hubgate() == 0);
}

}  // namespace hubgate::test
