// A bad plugin cannot take the gateway down: a plugin that crashes on one message does not
// crash-loop the service (the message ends in the dead-letter folder after the second crash,
// acknowledged; a C2D message, which the journal hands to the plugins again after a restart,
// likewise), and a hook that hangs, uplink or downlink, stops the systemd watchdog pings, with
// the stuck thread named in the log. Real mosquitto, hubsim and hubgate processes; the test
// restarts hubgate after each crash as systemd would.
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

// The only file in the dead-letter folder, parsed (null when there is not exactly one).
nlohmann::json only_dead_letter(BridgeEnv& env) {
    const auto dead_letters = env.dir().path() / "state" / "dead-letter";
    std::vector<std::filesystem::path> files;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dead_letters, ec)) {
        files.push_back(entry.path());
    }
    if (files.size() != 1) {
        return nullptr;
    }
    return nlohmann::json::parse(read_file(files[0]), nullptr, false);
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
    CHECK(counters.value("plugin_crashes", 0) == 1);  // this start found that the last run crashed

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

namespace hubgate::test {

// The C2D journal publishes a kept message again after a restart: without the guard on the
// downlink hooks, a C2D message that crashes a plugin would crash every start.
TEST_CASE("a downlink hook that crashes on one C2D message: dead-lettered, other C2D flow") {
    BridgeEnv env(with_poison_plugin({"plant1-good", "plant1-bad"}));
    env.start_hubgate();
    LegacyClient devices(env.local_port(), "legacy-c2d-poison");
    REQUIRE(devices.wait_connected());
    REQUIRE(devices.subscribe("t/plant1/+/inbox"));
    REQUIRE(devices.publish("t/plant1/good/telemetry", R"({"seq":1})"));
    REQUIRE(devices.publish("t/plant1/bad/telemetry", R"({"seq":1})"));
    REQUIRE(env.hub().wait_for_telemetry("plant1-bad", 1, 30s).size() == 1);
    REQUIRE(env.hub().wait_for_connected("plant1-good"));
    REQUIRE(env.hub().wait_for_connected("plant1-bad"));

    HubsimC2d poison;
    poison.payload = "crash-me please";
    REQUIRE(env.hub().send_c2d("plant1-bad", poison).ok());
    CHECK(env.hubgate().wait_exit(30s) == 128 + SIGSEGV);

    // Restarted (as systemd would): the journal publishes the kept message again, which crashes
    // it again.
    CHECK(start_until_exit(env) == 128 + SIGSEGV);
    CHECK(env.hubgate_output().find("died inside plugin 'poison' (transform_downlink)") !=
          std::string::npos);

    // Third start: dead-lettered, its journal entry released; other C2D messages flow.
    env.start_hubgate();
    CHECK(env.wait_for_log("not given to the plugins again"));
    REQUIRE(env.hub().wait_for_connected("plant1-good"));
    HubsimC2d fine;
    fine.payload = "hello";
    REQUIRE(env.hub().send_c2d("plant1-good", fine).ok());
    const auto delivered = devices.wait_for(
        [](const LegacyMessage& m) { return m.topic == "t/plant1/good/inbox"; }, 30s);
    REQUIRE(delivered);
    CHECK(delivered->payload == "hello");
    for (const auto& message : devices.received()) {
        CHECK(message.topic != "t/plant1/bad/inbox");
    }

    const auto kept = only_dead_letter(env);
    REQUIRE(kept.is_object());
    CHECK(kept["direction"] == "downlink");
    CHECK(kept["kind"] == "c2d");
    CHECK(kept["device_id"] == "plant1-bad");
    CHECK(kept["payload"] == poison.payload);
    CHECK(kept["plugin"] == "poison");
    CHECK(kept["hook"] == "transform_downlink");
    CHECK(kept.value("topic", std::string()).rfind("devices/plant1-bad/messages/devicebound/", 0) ==
          0);
    const auto counters = env.status_counters();
    CHECK(counters.value("downlinks_dead_lettered", 0) >= 1);
    CHECK(counters.value("plugin_crashes", 0) == 1);

    // Released from the journal: a fourth start has nothing to publish again, and stays up.
    CHECK(env.stop_hubgate() == 0);
    const auto before = env.hubgate_output().size();
    env.start_hubgate();
    REQUIRE(env.hub().wait_for_connected("plant1-bad"));
    CHECK(env.hubgate().running());
    CHECK(env.hubgate_output().find("publishing them again", before) == std::string::npos);
    CHECK(env.stop_hubgate() == 0);
}

// Method calls are not journaled, but a caller that tries again would crash hubgate each time:
// after the second crash the call is answered with an error at once, not left to time out.
TEST_CASE("a method call whose payload crashed a downlink hook twice is answered 500 at once") {
    BridgeEnv env(with_poison_plugin({"plant1-bad"}));
    env.start_hubgate();
    LegacyClient devices(env.local_port(), "legacy-method-poison");
    REQUIRE(devices.wait_connected());
    REQUIRE(devices.publish("t/plant1/bad/telemetry", R"({"seq":1})"));
    REQUIRE(env.hub().wait_for_telemetry("plant1-bad", 1, 30s).size() == 1);
    const nlohmann::json payload = {{"note", "crash-me"}};
    for (int crash = 1; crash <= 2; ++crash) {
        REQUIRE(env.hub().wait_for_connected("plant1-bad"));
        (void)env.hub().invoke_method("plant1-bad", "reboot", payload, 5);
        CHECK(env.hubgate().wait_exit(30s) == 128 + SIGSEGV);
        env.start_hubgate();
    }
    REQUIRE(env.hub().wait_for_connected("plant1-bad"));
    // A timeout far above what an answer takes: a 500 can only come from the gateway.
    const auto answer = env.hub().invoke_method("plant1-bad", "reboot", payload, 60);
    REQUIRE(answer.ok());
    CHECK(answer.body.value("status", 0) == 500);
    CHECK(answer.body.dump().find("dead_lettered") != std::string::npos);
    CHECK(env.hubgate().running());
    const auto kept = only_dead_letter(env);
    REQUIRE(kept.is_object());
    CHECK(kept["kind"] == "method");
    CHECK(env.stop_hubgate() == 0);
}

TEST_CASE("a downlink hook that hangs: the watchdog pings stop, naming the session manager") {
    ScratchDir sockets("hubgate-notify");
    const auto path = sockets.path() / "notify.sock";
    NotifySocket systemd(path);
    auto options = with_poison_plugin({"plant1-bad"});
    options.hubgate_env = {{"NOTIFY_SOCKET", path.string()}, {"WATCHDOG_USEC", "2000000"}};
    BridgeEnv env(options);
    env.start_hubgate();
    LegacyClient devices(env.local_port(), "legacy-c2d-hang");
    REQUIRE(devices.wait_connected());
    REQUIRE(devices.publish("t/plant1/bad/telemetry", R"({"seq":1})"));
    REQUIRE(env.hub().wait_for_telemetry("plant1-bad", 1, 30s).size() == 1);
    REQUIRE(env.hub().wait_for_connected("plant1-bad"));
    systemd.drain();
    CHECK(contains(systemd.receive_until("WATCHDOG=1", 5), "WATCHDOG=1"));

    HubsimC2d hang;
    hang.payload = "hang-me";
    REQUIRE(env.hub().send_c2d("plant1-bad", hang).ok());
    REQUIRE(env.wait_for_log("watchdog: thread 'session manager' is stuck", 20s));
    systemd.drain();
    CHECK_FALSE(contains(systemd.receive_until("WATCHDOG=1", 3), "WATCHDOG=1"));
    env.kill_hubgate();
}

}  // namespace hubgate::test
