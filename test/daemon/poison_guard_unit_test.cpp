// PoisonGuard against a real state directory: a message left inside a plugin hook by a process
// that died is counted, and after kCrashesToDeadLetter crashes it is dead-lettered instead of
// routed. A guard destroyed between entering() and end() stands for a process that died there.
#include <doctest/doctest.h>

#include <thread>

#include <nlohmann/json.hpp>

#include "gateway/core/poison_guard.hpp"
#include "harness/scratch_dir.hpp"

namespace hubgate::daemon {

namespace {

using test::ScratchDir;

constexpr std::string_view kPoisonTopic = "t/plant1/bad/telemetry";
constexpr std::string_view kPoison = R"({"note":"crash-me"})";

// One run of the daemon that dies inside `plugin`'s hook on (topic, payload).
void run_and_die_in_hooks(const std::filesystem::path& state, std::string_view topic,
                          std::string_view payload, const std::string& plugin = "poison") {
    core::BridgeCounters counters;
    core::PoisonGuard guard(state, counters);
    std::string error;
    REQUIRE(guard.open(error));
    REQUIRE(guard.screen(topic, payload) == core::Screening::pass);
    guard.begin(topic, payload);
    guard.entering(plugin, "transform_uplink");
    // no end(): the process is gone
}

std::size_t files_in(const std::filesystem::path& dir) {
    std::error_code ec;
    if (!std::filesystem::exists(dir, ec))
        return 0;
    return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator(dir),
                                                  std::filesystem::directory_iterator()));
}

}  // namespace

TEST_CASE("poison guard: a message that went through its hooks is not counted") {
    ScratchDir state("hubgate-poison");
    {
        core::BridgeCounters counters;
        core::PoisonGuard guard(state.path(), counters);
        std::string error;
        REQUIRE(guard.open(error));
        guard.begin(kPoisonTopic, kPoison);
        guard.entering("poison", "derive_device_id");
        guard.entering("poison", "transform_uplink");
        guard.end();
    }
    core::BridgeCounters counters;
    core::PoisonGuard guard(state.path(), counters);
    std::string error;
    REQUIRE(guard.open(error));
    CHECK(counters.plugin_crashes == 0);
    CHECK(guard.screen(kPoisonTopic, kPoison) == core::Screening::pass);
}

TEST_CASE("poison guard: two crashes in hooks move the message to the dead-letter folder") {
    ScratchDir state("hubgate-poison");
    run_and_die_in_hooks(state.path(), kPoisonTopic, kPoison);
    {
        // One crash: counted, but the message still goes to the plugins (it may be innocent).
        core::BridgeCounters counters;
        core::PoisonGuard guard(state.path(), counters);
        std::string error;
        REQUIRE(guard.open(error));
        CHECK(counters.plugin_crashes == 1);
        CHECK(guard.screen(kPoisonTopic, kPoison) == core::Screening::pass);
        guard.begin(kPoisonTopic, kPoison);
        guard.entering("poison", "transform_uplink");
    }
    core::BridgeCounters counters;
    core::PoisonGuard guard(state.path(), counters);
    std::string error;
    REQUIRE(guard.open(error));
    CHECK(counters.plugin_crashes == 1);
    CHECK(guard.screen(kPoisonTopic, kPoison) == core::Screening::dead_lettered);
    CHECK(counters.dead_lettered == 1);
    // Other messages are routed as usual, even from the same device.
    CHECK(guard.screen(kPoisonTopic, R"({"note":"fine"})") == core::Screening::pass);

    const auto dir = state.path() / "dead-letter";
    REQUIRE(files_in(dir) == 1);
    const auto kept = nlohmann::json::parse(
        test::read_file(std::filesystem::directory_iterator(dir)->path()), nullptr, false);
    REQUIRE(kept.is_object());
    CHECK(kept["topic"] == kPoisonTopic);
    CHECK(kept["payload"] == kPoison);
    CHECK(kept["plugin"] == "poison");
    CHECK(kept["hook"] == "transform_uplink");
    CHECK(kept["crashes"] == 2);

    // The same message again (a redelivery, or the device sending it again): one file, counted.
    CHECK(guard.screen(kPoisonTopic, kPoison) == core::Screening::dead_lettered);
    CHECK(counters.dead_lettered == 2);
    CHECK(files_in(dir) == 1);
}

TEST_CASE("poison guard: crashes are counted per message") {
    ScratchDir state("hubgate-poison");
    run_and_die_in_hooks(state.path(), kPoisonTopic, kPoison);
    run_and_die_in_hooks(state.path(), kPoisonTopic, R"({"other":1})");
    core::BridgeCounters counters;
    core::PoisonGuard guard(state.path(), counters);
    std::string error;
    REQUIRE(guard.open(error));
    CHECK(guard.screen(kPoisonTopic, kPoison) == core::Screening::pass);
    CHECK(guard.screen(kPoisonTopic, R"({"other":1})") == core::Screening::pass);
}

TEST_CASE("poison guard: a binary payload is kept as base64") {
    ScratchDir state("hubgate-poison");
    const std::string binary("\xff\x00\xfe", 3);
    run_and_die_in_hooks(state.path(), kPoisonTopic, binary);
    run_and_die_in_hooks(state.path(), kPoisonTopic, binary);
    core::BridgeCounters counters;
    core::PoisonGuard guard(state.path(), counters);
    std::string error;
    REQUIRE(guard.open(error));
    REQUIRE(guard.screen(kPoisonTopic, binary) == core::Screening::dead_lettered);
    const auto dir = state.path() / "dead-letter";
    const auto kept = nlohmann::json::parse(
        test::read_file(std::filesystem::directory_iterator(dir)->path()), nullptr, false);
    CHECK_FALSE(kept.contains("payload"));
    CHECK(kept["payload_base64"] == "/wD+");
}

TEST_CASE("poison guard: a malformed crash file is moved aside, not fatal") {
    ScratchDir state("hubgate-poison");
    state.write("plugin-crashes.json", "{not json");
    core::BridgeCounters counters;
    core::PoisonGuard guard(state.path(), counters);
    std::string error;
    REQUIRE(guard.open(error));
    CHECK(std::filesystem::exists(state.path() / "plugin-crashes.json.bad"));
    CHECK(guard.screen(kPoisonTopic, kPoison) == core::Screening::pass);
}

}  // namespace hubgate::daemon

namespace hubgate::daemon {

namespace {

// One run of the daemon that dies inside a downlink hook on `message`.
void run_and_die_in_downlink_hook(const std::filesystem::path& state,
                                  const core::HookedMessage& message) {
    core::BridgeCounters counters;
    core::PoisonGuard guard(state, counters);
    std::string error;
    REQUIRE(guard.open(error));
    REQUIRE(guard.screen(message) == core::Screening::pass);
    guard.begin(message);
    guard.entering("poison", "transform_downlink");
}

}  // namespace

TEST_CASE("poison guard: a downlink that crashed twice is dead-lettered with its kind") {
    ScratchDir state("hubgate-poison");
    const core::HookedMessage c2d{"c2d", "plant1-bad", "devices/plant1-bad/messages/devicebound/",
                                  kPoison};
    run_and_die_in_downlink_hook(state.path(), c2d);
    run_and_die_in_downlink_hook(state.path(), c2d);
    core::BridgeCounters counters;
    core::PoisonGuard guard(state.path(), counters);
    std::string error;
    REQUIRE(guard.open(error));
    CHECK(guard.screen(c2d) == core::Screening::dead_lettered);
    CHECK(counters.downlinks_dead_lettered == 1);
    CHECK(counters.dead_lettered == 0);
    // What the hook sees is what counts: the same payload for another device, another kind, or
    // as a local message, is not poison.
    CHECK(guard.screen(core::HookedMessage{"c2d", "plant1-good", "", kPoison}) ==
          core::Screening::pass);
    CHECK(guard.screen(core::HookedMessage{"method", "plant1-bad", "", kPoison}) ==
          core::Screening::pass);
    CHECK(guard.screen(kPoisonTopic, kPoison) == core::Screening::pass);

    const auto dir = state.path() / "dead-letter";
    REQUIRE(files_in(dir) == 1);
    const auto kept = nlohmann::json::parse(
        test::read_file(std::filesystem::directory_iterator(dir)->path()), nullptr, false);
    REQUIRE(kept.is_object());
    CHECK(kept["direction"] == "downlink");
    CHECK(kept["kind"] == "c2d");
    CHECK(kept["device_id"] == "plant1-bad");
    CHECK(kept["topic"] == "devices/plant1-bad/messages/devicebound/");
    CHECK(kept["payload"] == kPoison);
    CHECK(kept["plugin"] == "poison");
    CHECK(kept["hook"] == "transform_downlink");
}

TEST_CASE("poison guard: messages in hooks on two threads at the death are both counted") {
    ScratchDir state("hubgate-poison");
    const core::HookedMessage desired{"desired", "plant1-bad", "", R"({"hang-me":1})"};
    {
        core::BridgeCounters counters;
        core::PoisonGuard guard(state.path(), counters);
        std::string error;
        REQUIRE(guard.open(error));
        guard.begin(kPoisonTopic, kPoison);
        guard.entering("poison", "transform_uplink");
        // Another thread (the deferred work thread) is inside a downlink hook at the same time.
        std::thread([&] {
            guard.begin(desired);
            guard.entering("poison", "transform_downlink");
        }).join();
    }
    core::BridgeCounters counters;
    core::PoisonGuard guard(state.path(), counters);
    std::string error;
    REQUIRE(guard.open(error));
    CHECK(counters.plugin_crashes == 2);
}

}  // namespace hubgate::daemon
