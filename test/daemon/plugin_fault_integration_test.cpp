// A bad plugin cannot take the gateway down: a plugin that crashes on one message does not
// crash-loop the service (the message ends in the dead-letter folder after the second crash,
// acknowledged), and a hook that hangs stops the systemd watchdog pings, with the stuck thread
// named in the log. Real mosquitto, hubsim and hubgate processes; the test restarts hubgate
// after each crash as systemd would.
#include <doctest/doctest.h>

#include <csignal>

#include <nlohmann/json.hpp>

#include "bridge_env.hpp"
#include "legacy_client.hpp"
#include "notify_socket.hpp"

namespace hubgate::test {

namespace {

// The test mapping with the poison plugin (test/plugins/poison_plugin.c) on every uplink.
BridgeEnvOptions with_poison_plugin(std::vector<std::string> devices) {
    auto options = with_devices(std::move(devices));
    const std::string id_line = "id = \"{site}-{sensor}\"\n";
    const auto at = options.mapping.find(id_line);
    REQUIRE(at != std::string::npos);
    options.mapping.insert(at + id_line.size(), "plugins = [\"poison\"]\n");
    options.extra_config =
        "[plugins]\ndir = \"" HUBGATE_LIB_DIR "\"\n[plugins.poison]\nfile = \"test-poison.so\"\n";
    return options;
}

// Starts hubgate when it is expected to crash on a redelivered message, maybe before it
// subscribed; returns its exit status.
int start_until_exit(BridgeEnv& env) {
    try {
        env.start_hubgate();
    } catch (const std::runtime_error&) {  // died before "subscribed to"
    }
    return env.hubgate().wait_exit(30s).value_or(-1);
}

bool has_seq(const std::vector<nlohmann::json>& messages, int seq) {
    for (const auto& message : messages) {
        if (message.value("payload", std::string()) == R"({"seq":)" + std::to_string(seq) + "}")
            return true;
    }
    return false;
}

}  // namespace

TEST_CASE("a plugin that crashes on one message: dead-lettered after the second crash") {
    BridgeEnv env(with_poison_plugin({"plant1-good", "plant1-bad"}));
    env.start_hubgate();
    LegacyClient devices(env.local_port(), "legacy-poison");
    REQUIRE(devices.wait_connected());
    REQUIRE(devices.publish("t/plant1/good/telemetry", R"({"seq":1})"));
    REQUIRE(env.hub().wait_for_telemetry("plant1-good", 1, 30s).size() == 1);

    const std::string poison = R"({"seq":1,"note":"crash-me"})";
    REQUIRE(devices.publish("t/plant1/bad/telemetry", poison));
    CHECK(env.hubgate().wait_exit(30s) == 128 + SIGSEGV);

    // Restarted (as systemd would): the broker redelivers the message, which crashes it again.
    REQUIRE(devices.publish("t/plant1/good/telemetry", R"({"seq":2})"));
    CHECK(start_until_exit(env) == 128 + SIGSEGV);
    CHECK(env.hubgate_output().find("died inside plugin 'poison' (transform_uplink)") !=
          std::string::npos);

    // Third start: the message has crashed hubgate twice, so it goes to the dead-letter folder
    // and is acknowledged; the other device's messages flow.
    REQUIRE(devices.publish("t/plant1/good/telemetry", R"({"seq":3})"));
    env.start_hubgate();
    CHECK(env.wait_for_log("not given to the plugins again"));
    const auto good = env.hub().wait_for_telemetry("plant1-good", 3, 60s);
    CHECK(has_seq(good, 2));
    CHECK(has_seq(good, 3));
    CHECK(env.hub().wait_for_telemetry("plant1-bad", 1, 1s).empty());

    const auto dead_letters = env.dir().path() / "state" / "dead-letter";
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(dead_letters)) {
        files.push_back(entry.path());
    }
    REQUIRE(files.size() == 1);
    const auto kept = nlohmann::json::parse(read_file(files[0]), nullptr, false);
    REQUIRE(kept.is_object());
    CHECK(kept["topic"] == "t/plant1/bad/telemetry");
    CHECK(kept["payload"] == poison);
    CHECK(kept["plugin"] == "poison");
    CHECK(kept["crashes"] == 2);

    const auto status = run({std::string(HUBGATE_BIN_DIR) + "/hubgate", "status", "--socket",
                             (env.dir().path() / "control.sock").string(), "--json"},
                            30s);
    REQUIRE(status.status == 0);
    const auto counters = nlohmann::json::parse(status.output, nullptr, false)["counters"];
    CHECK(counters["dead_lettered"] == 1);
    CHECK(counters["plugin_crashes"] == 1);  // this start found that the last run crashed

    // It was acknowledged: a fourth start gets no redelivery and does not crash.
    CHECK(env.stop_hubgate() == 0);
    const auto before = env.hubgate_output().size();
    env.start_hubgate();
    REQUIRE(devices.publish("t/plant1/good/telemetry", R"({"seq":4})"));
    CHECK(has_seq(env.hub().wait_for_telemetry("plant1-good", 4, 30s), 4));
    CHECK(env.hubgate().running());
    CHECK(env.hubgate_output().find("not given to the plugins again", before) == std::string::npos);
    CHECK(env.stop_hubgate() == 0);
}

TEST_CASE("a hook that hangs: the watchdog pings stop and the log names the stuck thread") {
    ScratchDir sockets("hubgate-notify");
    const auto path = sockets.path() / "notify.sock";
    NotifySocket systemd(path);
    auto options = with_poison_plugin({"plant1-good", "plant1-bad"});
    // WatchdogSec=2s: a ping every second, and a thread silent for more than a second is stuck.
    options.hubgate_env = {{"NOTIFY_SOCKET", path.string()}, {"WATCHDOG_USEC", "2000000"}};
    BridgeEnv env(options);
    env.start_hubgate();
    LegacyClient devices(env.local_port(), "legacy-hang");
    REQUIRE(devices.wait_connected());
    REQUIRE(devices.publish("t/plant1/good/telemetry", R"({"seq":1})"));
    REQUIRE(env.hub().wait_for_telemetry("plant1-good", 1, 30s).size() == 1);
    // Idle threads keep beating: the pings go on while nothing happens.
    systemd.drain();
    CHECK(contains(systemd.receive_until("WATCHDOG=1", 5), "WATCHDOG=1"));

    REQUIRE(devices.publish("t/plant1/bad/telemetry", R"({"seq":1,"note":"hang-me"})"));
    REQUIRE(env.wait_for_log("watchdog: thread 'local link' is stuck", 20s));
    systemd.drain();  // pings sent before the hang was seen
    // Three ping intervals without a ping: systemd would kill and restart hubgate now.
    CHECK_FALSE(contains(systemd.receive_until("WATCHDOG=1", 3), "WATCHDOG=1"));
    env.kill_hubgate();  // what systemd's watchdog does (SIGABRT there)
}

}  // namespace hubgate::test
