// Per-device status end to end, against a real local mosquitto, hubsim and `hubgate run`:
// `hubgate status --device ID`, `hubgate devices [--state S]`, the opt-in per-device series on
// /metrics with their cap, and the shipped Grafana dashboard and alert rules naming only metrics
// a running hubgate exposes.
#include <doctest/doctest.h>
#include <httplib.h>

#include <fstream>
#include <functional>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "../ops/prometheus_text.hpp"
#include "bridge_env.hpp"
#include "harness/ports.hpp"
#include "legacy_client.hpp"

namespace hubgate::test {
namespace {

BridgeEnvOptions per_device_options(std::vector<std::string> devices, int metrics_port,
                                    const std::string& more = {}) {
    auto options = with_devices(std::move(devices));
    options.extra_config = "[metrics]\nlisten = \"127.0.0.1:" + std::to_string(metrics_port) +
                           "\"\nper_device = true\n" + more;
    return options;
}

PromParse scrape(int port) {
    httplib::Client client("127.0.0.1", port);
    client.set_connection_timeout(5);
    client.set_read_timeout(10);
    auto response = client.Get("/metrics");
    REQUIRE(response);
    REQUIRE(response->status == 200);
    auto parse = parse_prometheus_text(response->body);
    REQUIRE(parse.error == "");
    return parse;
}

// Bounded wait for `done`, polling; returns whether it held.
bool eventually(const std::function<bool()>& done, std::chrono::seconds timeout = 30s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (done()) {
            return true;
        }
        std::this_thread::sleep_for(200ms);  // polling interval of a bounded wait, not a delay
    }
    return done();
}

json device_json(const std::filesystem::path& socket, const std::string& id) {
    const auto result =
        run({kHubgate, "status", "--socket", socket.string(), "--device", id, "--json"}, 30s);
    if (result.status != 0) {
        return json();
    }
    const auto parsed = json::parse(result.output, nullptr, false);
    return parsed.is_object() && parsed.contains("device") ? parsed["device"] : json();
}

double device_value(const PromParse& parse, const std::string& family, const std::string& id) {
    return prom_value(parse, family, family, {{"device", id}}).value_or(-1);
}

std::set<std::string> device_labels(const PromParse& parse, const std::string& family) {
    std::set<std::string> out;
    if (parse.families.count(family) == 1) {
        for (const auto& sample : parse.families.at(family).samples) {
            out.insert(sample.labels.at("device"));
        }
    }
    return out;
}

}  // namespace

TEST_CASE("hubgate status --device and hubgate devices show state, backlog, uplink and downlink") {
    const std::string id = "plant1-s1";
    const int metrics_port = free_tcp_port();
    BridgeEnv env(per_device_options({id}, metrics_port));
    env.start_hubgate();
    const auto socket = env.dir().path() / "control.sock";
    REQUIRE(env.wait_for_log("control socket: " + socket.string()));

    LegacyClient device(env.local_port(), "legacy-s1");
    REQUIRE(device.wait_connected());
    REQUIRE(device.subscribe("t/plant1/s1/#"));
    REQUIRE(device.publish("t/plant1/s1/telemetry", R"({"seq":1})"));
    REQUIRE(device.publish("t/plant1/s1/telemetry", R"({"seq":2})"));
    REQUIRE(env.hub().wait_for_telemetry(id, 2, 30s).size() == 2);
    REQUIRE(env.hub().send_c2d(id, HubsimC2d{.payload = "hello"}).ok());
    REQUIRE(device.wait_for([](const LegacyMessage& m) { return m.topic == "t/plant1/s1/inbox"; }));

    // The hub's PUBACKs are counted when they arrive: wait for the second.
    json connected;
    REQUIRE(eventually([&] {
        connected = device_json(socket, id);
        return connected.is_object() && connected["counters"]["telemetry_acked"] == 2 &&
               connected["counters"]["c2d_received"] == 1;
    }));
    CHECK(connected["device_id"] == id);
    CHECK(connected["state"] == "connected");
    CHECK(connected["state_since"].is_string());
    CHECK(connected["last_uplink"].is_string());
    CHECK(connected["last_downlink"].is_string());
    CHECK(connected["spool"]["messages"] == 0);
    CHECK(connected["counters"]["connects"] == 1);

    const auto table = run({kHubgate, "status", "--socket", socket.string(), "--device", id}, 30s);
    REQUIRE(table.status == 0);
    CHECK(table.output.find("LAST-UPLINK") != std::string::npos);
    CHECK(table.output.find("connected since " + connected["state_since"].get<std::string>()) !=
          std::string::npos);
    CHECK(table.output.find("telemetry_acked") != std::string::npos);

    // A hub outage: what the device sends now waits in the spool.
    env.hub().stop();
    REQUIRE(eventually([&] {
        const auto now = device_json(socket, id);
        return now.is_object() && now["state"] != "connected";
    }));
    for (int seq = 3; seq <= 5; ++seq) {
        REQUIRE(device.publish("t/plant1/s1/telemetry", R"({"seq":)" + std::to_string(seq) + "}"));
    }
    REQUIRE(device.wait_acknowledged(5));
    json waiting;
    REQUIRE(eventually([&] {
        waiting = device_json(socket, id);
        return waiting.is_object() && waiting["spool"]["messages"] == 3;
    }));
    CHECK(waiting["spool"]["bytes"].get<std::uint64_t>() > 0);
    CHECK(waiting["state"] != "connected");
    CHECK(waiting["reason"].get<std::string>() != "");  // the last error
    CHECK(waiting["last_uplink"] == connected["last_uplink"]);

    SUBCASE("hubgate devices, all and by state") {
        const auto all = run({kHubgate, "devices", "--socket", socket.string()}, 30s);
        REQUIRE(all.status == 0);
        CHECK(all.output.find("SPOOL-MSGS") != std::string::npos);
        CHECK(all.output.find(id) != std::string::npos);

        const auto listed = run({kHubgate, "devices", "--socket", socket.string(), "--json"}, 30s);
        REQUIRE(listed.status == 0);
        const auto devices = json::parse(listed.output, nullptr, false);
        REQUIRE(devices.is_array());
        REQUIRE(devices.size() == 1);
        const std::string state = devices[0]["state"];
        CHECK(state != "connected");

        const auto in_state =
            run({kHubgate, "devices", "--socket", socket.string(), "--state", state}, 30s);
        REQUIRE(in_state.status == 0);
        CHECK(in_state.output.find(id) != std::string::npos);
        const auto none =
            run({kHubgate, "devices", "--socket", socket.string(), "--state", "connected"}, 30s);
        REQUIRE(none.status == 0);
        CHECK(none.output.find(id) == std::string::npos);

        const auto bad =
            run({kHubgate, "devices", "--socket", socket.string(), "--state", "sleepy"}, 30s);
        CHECK(bad.status == 2);
        CHECK(bad.output.find("unknown state 'sleepy'") != std::string::npos);
        CHECK(bad.output.find("backing-off") != std::string::npos);
    }

    SUBCASE("a device the daemon does not know") {
        const auto unknown =
            run({kHubgate, "status", "--socket", socket.string(), "--device", "plant9-x"}, 30s);
        CHECK(unknown.status == 1);
        CHECK(unknown.output.find("no device 'plant9-x'") != std::string::npos);
    }

    SUBCASE("the per-device series on /metrics") {
        const auto parse = scrape(metrics_port);
        CHECK(device_value(parse, "hubgate_device_spool_messages", id) == 3);
        CHECK(device_value(parse, "hubgate_device_spool_bytes", id) > 0);
        CHECK(device_value(parse, "hubgate_device_up", id) == 0);
        CHECK(device_value(parse, "hubgate_device_telemetry_acked_total", id) == 2);
        // The C2D message, and the desired document of the twin GET after the connect.
        const auto& counted = waiting["counters"];
        CHECK(device_value(parse, "hubgate_device_downlinks_total", id) ==
              counted["c2d_received"].get<double>() + counted["desired_received"].get<double>() +
                  counted["methods_received"].get<double>());
        CHECK(counted["c2d_received"] == 1);
        CHECK(device_value(parse, "hubgate_device_last_uplink_timestamp_seconds", id) >
              1.7e9);  // a Unix time, not a duration
        CHECK(device_value(parse, "hubgate_devices_over_limit", id) == -1);  // has no label
        CHECK(prom_value(parse, "hubgate_devices_over_limit", "hubgate_devices_over_limit") == 0);
    }
    env.hub().restart();
    REQUIRE(env.stop_hubgate() == 0);
}

TEST_CASE("per-device series stop at metrics.per_device_limit and are off by default") {
    const int metrics_port = free_tcp_port();
    SUBCASE("capped") {
        BridgeEnv env(
            per_device_options({"plant1-s1", "plant1-s2"}, metrics_port, "per_device_limit = 1\n"));
        env.start_hubgate();
        LegacyClient device(env.local_port(), "legacy-both");
        REQUIRE(device.wait_connected());
        REQUIRE(device.publish("t/plant1/s1/telemetry", R"({"seq":1})"));
        REQUIRE(env.hub().wait_for_telemetry("plant1-s1", 1, 30s).size() == 1);
        REQUIRE(device.publish("t/plant1/s2/telemetry", R"({"seq":1})"));
        REQUIRE(env.hub().wait_for_telemetry("plant1-s2", 1, 30s).size() == 1);
        PromParse parse;
        REQUIRE(eventually([&] {
            parse = scrape(metrics_port);
            return prom_value(parse, "hubgate_devices_over_limit", "hubgate_devices_over_limit") ==
                   1;
        }));
        // Each family has the one device that got series; which one is whichever was seen first.
        const auto up = device_labels(parse, "hubgate_device_up");
        CHECK(up.size() == 1);
        CHECK(device_labels(parse, "hubgate_device_telemetry_acked_total") == up);
        CHECK(device_labels(parse, "hubgate_device_spool_messages") == up);
        REQUIRE(env.stop_hubgate() == 0);
    }
    SUBCASE("off") {
        auto options = with_devices({"plant1-s1"});
        options.extra_config =
            "[metrics]\nlisten = \"127.0.0.1:" + std::to_string(metrics_port) + "\"\n";
        BridgeEnv env(options);
        env.start_hubgate();
        LegacyClient device(env.local_port(), "legacy-s1");
        REQUIRE(device.wait_connected());
        REQUIRE(device.publish("t/plant1/s1/telemetry", R"({"seq":1})"));
        REQUIRE(env.hub().wait_for_telemetry("plant1-s1", 1, 30s).size() == 1);
        const auto parse = scrape(metrics_port);
        CHECK(parse.families.count("hubgate_device_up") == 0);
        CHECK(parse.families.count("hubgate_devices_over_limit") == 0);
        CHECK(parse.families.count("hubgate_sessions") == 1);
        REQUIRE(env.stop_hubgate() == 0);
    }
}

TEST_CASE("every metric the shipped dashboard and alert rules use is exposed by hubgate") {
    const std::filesystem::path monitoring =
        std::filesystem::path(HUBGATE_SOURCE_DIR) / "packaging" / "monitoring";
    std::set<std::string> used;
    const std::regex name("hubgate_[a-z0-9_]+");
    for (const char* file : {"hubgate-dashboard.json", "hubgate-alerts.yml"}) {
        const auto text = read_file(monitoring / file);
        REQUIRE_MESSAGE(!text.empty(), file);
        if (std::string(file).ends_with(".json")) {
            CHECK(json::parse(text, nullptr, false).is_object());
        }
        for (std::sregex_iterator it(text.begin(), text.end(), name), end; it != end; ++it) {
            used.insert(it->str());
        }
    }
    REQUIRE(used.size() > 10);

    // A device that sent telemetry, so that its last-uplink series exists too.
    const int metrics_port = free_tcp_port();
    BridgeEnv env(per_device_options({"plant1-s1"}, metrics_port));
    env.start_hubgate();
    LegacyClient device(env.local_port(), "legacy-s1");
    REQUIRE(device.wait_connected());
    REQUIRE(device.publish("t/plant1/s1/telemetry", R"({"seq":1})"));
    REQUIRE(env.hub().wait_for_telemetry("plant1-s1", 1, 30s).size() == 1);
    PromParse parse;
    REQUIRE(eventually([&] {
        parse = scrape(metrics_port);
        return prom_value(parse, "hubgate_device_last_uplink_timestamp_seconds",
                          "hubgate_device_last_uplink_timestamp_seconds", {{"device", "plant1-s1"}})
            .has_value();
    }));
    std::set<std::string> exposed;
    for (const auto& [family, content] : parse.families) {
        for (const auto& sample : content.samples) {
            exposed.insert(sample.name);
        }
    }
    for (const auto& metric : used) {
        CAPTURE(metric);
        CHECK(exposed.count(metric) == 1);
    }
    REQUIRE(env.stop_hubgate() == 0);
}

}  // namespace hubgate::test
