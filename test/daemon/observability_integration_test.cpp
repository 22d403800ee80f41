// End to end, what operators can ask a running `hubgate run`: the Prometheus endpoint (scraped
// and parsed) and `hubgate status` over the control socket, after real traffic, a malformed
// message and a direct method; and what happens when either cannot be opened.
#include <doctest/doctest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <thread>

#include "../ops/prometheus_text.hpp"
#include "../ops/status_metric_names.hpp"
#include "bridge_env.hpp"
#include "harness/ports.hpp"
#include "legacy_client.hpp"

namespace hubgate::test {

namespace {

BridgeEnvOptions with_metrics(std::vector<std::string> devices, int port) {
    auto options = with_devices(std::move(devices));
    options.extra_config = "[metrics]\nlisten = \"127.0.0.1:" + std::to_string(port) + "\"\n";
    return options;
}

// Scrapes until `done` holds for a valid exposition (bounded); returns the last parse.
PromParse scrape_until(int port, const std::function<bool(const PromParse&)>& done) {
    httplib::Client client("127.0.0.1", port);
    client.set_connection_timeout(5);
    client.set_read_timeout(10);
    PromParse parse;
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (std::chrono::steady_clock::now() < deadline) {
        if (auto response = client.Get("/metrics"); response && response->status == 200) {
            parse = parse_prometheus_text(response->body);
            if (parse.error.empty() && done(parse)) {
                return parse;
            }
        }
        std::this_thread::sleep_for(200ms);  // polling interval of a bounded wait, not a delay
    }
    return parse;
}

double value_or_minus_one(const PromParse& parse, const std::string& family,
                          const std::string& name,
                          const std::map<std::string, std::string>& labels = {}) {
    return prom_value(parse, family, name, labels).value_or(-1);
}

// A TCP listener on 127.0.0.1:port held for the test's lifetime (a port someone else has).
struct PortSquatter {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    explicit PortSquatter(int port) {
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(static_cast<std::uint16_t>(port));
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        bound = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
                ::listen(fd, 4) == 0;
    }
    ~PortSquatter() { ::close(fd); }
    bool bound = false;
};

}  // namespace

TEST_CASE("metrics and hubgate status report traffic, rejections, sessions and methods") {
    const std::string id = "plant1-s1";
    const int metrics_port = free_tcp_port();
    BridgeEnv env(with_metrics({id}, metrics_port));
    env.start_hubgate();
    REQUIRE(env.wait_for_log("metrics: serving http://127.0.0.1:" + std::to_string(metrics_port) +
                             "/metrics"));
    const auto socket = env.dir().path() / "control.sock";
    REQUIRE(env.wait_for_log("control socket: " + socket.string()));

    LegacyClient device(env.local_port(), "legacy-s1");
    REQUIRE(device.wait_connected());
    REQUIRE(device.subscribe("t/plant1/s1/#"));
    for (int seq = 1; seq <= 3; ++seq) {
        REQUIRE(device.publish("t/plant1/s1/telemetry", R"({"seq":)" + std::to_string(seq) + "}"));
    }
    // A reported-properties patch must be a JSON object.
    REQUIRE(device.publish("t/plant1/s1/state", "temperature=21"));
    REQUIRE(device.wait_acknowledged(4));
    REQUIRE(env.hub().wait_for_telemetry(id, 3, 30s).size() == 3);
    REQUIRE(env.hub().wait_for_connected(id));

    auto call = std::async(std::launch::async,
                           [&] { return env.hub().invoke_method(id, "reboot", nullptr, 15); });
    auto request = device.wait_for(topic_starts_with("t/plant1/s1/rpc/reboot/"));
    REQUIRE(request);
    REQUIRE(device.publish(request->topic + "/reply/200", R"({"ok":true})"));
    REQUIRE(call.get().status == 200);

    SUBCASE("GET /metrics") {
        // The hub's PUBACKs are counted when they arrive: wait for the last of them.
        const auto parse = scrape_until(metrics_port, [](const PromParse& p) {
            return prom_value(p, "hubgate_messages_routed_total",
                              "hubgate_messages_routed_total") >= 4;
        });
        REQUIRE(parse.error == "");
        // Three telemetry messages acknowledged by the hub, and the method reply.
        CHECK(value_or_minus_one(parse, "hubgate_messages_routed_total",
                                 "hubgate_messages_routed_total") == 4);
        CHECK(value_or_minus_one(parse, "hubgate_messages_rejected_total",
                                 "hubgate_messages_rejected_total",
                                 {{"reason", "payload_not_json_object"}}) == 1);
        CHECK(value_or_minus_one(parse, "hubgate_messages_rejected_total",
                                 "hubgate_messages_rejected_total", {{"reason", "no_rule"}}) == 0);
        CHECK(value_or_minus_one(parse, "hubgate_messages_spooled_total",
                                 "hubgate_messages_spooled_total") == 3);
        CHECK(value_or_minus_one(parse, "hubgate_spool_bytes", "hubgate_spool_bytes") > 0);
        CHECK(value_or_minus_one(parse, "hubgate_sessions", "hubgate_sessions",
                                 {{"state", "connected"}}) == 1);
        CHECK(value_or_minus_one(parse, "hubgate_sessions", "hubgate_sessions",
                                 {{"state", "backing-off"}}) == 0);
        CHECK(value_or_minus_one(parse, "hubgate_method_roundtrip_seconds",
                                 "hubgate_method_roundtrip_seconds_count") == 1);
        CHECK(value_or_minus_one(parse, "hubgate_method_roundtrip_seconds",
                                 "hubgate_method_roundtrip_seconds_sum") > 0);
        CHECK(value_or_minus_one(parse, "hubgate_method_roundtrip_seconds",
                                 "hubgate_method_roundtrip_seconds_bucket", {{"le", "+Inf"}}) == 1);
        CHECK(value_or_minus_one(parse, "hubgate_reconnects_total", "hubgate_reconnects_total") ==
              0);
        CHECK(value_or_minus_one(parse, "hubgate_throttle_hits_total",
                                 "hubgate_throttle_hits_total") == 0);
        CHECK(value_or_minus_one(parse, "hubgate_token_renewals_total",
                                 "hubgate_token_renewals_total") == 0);
    }

    SUBCASE("hubgate status, as a table and as JSON") {
        // Counted once the hub acknowledged the telemetry, as above.
        scrape_until(metrics_port, [](const PromParse& p) {
            return prom_value(p, "hubgate_messages_routed_total",
                              "hubgate_messages_routed_total") >= 4;
        });
        const auto table = run({kHubgate, "status", "--socket", socket.string()}, 30s);
        REQUIRE(table.status == 0);
        CHECK(table.output.find(id) != std::string::npos);
        CHECK(table.output.find("connected") != std::string::npos);
        CHECK(table.output.find("rejected_payload_not_json_object") != std::string::npos);

        const auto as_json = run({kHubgate, "status", "--socket", socket.string(), "--json"}, 30s);
        REQUIRE(as_json.status == 0);
        const auto status = json::parse(as_json.output, nullptr, false);
        REQUIRE(status.is_object());
        REQUIRE(status["sessions"].size() == 1);
        CHECK(status["sessions"][0]["device_id"] == id);
        CHECK(status["sessions"][0]["state"] == "connected");
        CHECK(status["sessions"][0]["since"].is_string());
        CHECK(status["counters"]["routed"] == 4);
        CHECK(status["counters"]["telemetry_acked"] == 3);
        CHECK(status["counters"]["method_replies"] == 1);
        CHECK(status["counters"]["rejected"] == 1);
        CHECK(status["counters"]["rejected_payload_not_json_object"] == 1);
        CHECK(status["counters"]["local_connected"] == 1);

        // Every counter the running daemon lists has its /metrics series (status_metric_names.hpp
        // holds the naming rule; the unit test metrics_coverage_unit_test.cpp checks the values).
        const auto parse = scrape_until(metrics_port, [](const PromParse&) { return true; });
        REQUIRE(parse.error == "");
        for (const auto& [name, value] : status["counters"].items()) {
            CAPTURE(name);
            CHECK_FALSE(series_for_status_counter(parse, name).empty());
        }
    }

    REQUIRE(env.stop_hubgate() == 0);
    // Its control socket goes with it; nothing answers on the metrics port any more.
    CHECK_FALSE(std::filesystem::exists(socket));
    CHECK(run({kHubgate, "status", "--socket", socket.string()}, 30s).status == 3);
    httplib::Client after("127.0.0.1", metrics_port);
    after.set_connection_timeout(2);
    CHECK_FALSE(after.Get("/metrics"));
}

TEST_CASE("a lost connection and a throttled twin update are counted") {
    const std::string id = "plant1-s1";
    const int metrics_port = free_tcp_port();
    BridgeEnv env(with_metrics({id}, metrics_port));
    env.start_hubgate();
    LegacyClient device(env.local_port(), "legacy-s1");
    REQUIRE(device.wait_connected());
    REQUIRE(device.publish("t/plant1/s1/telemetry", R"({"seq":1})"));
    REQUIRE(env.hub().wait_for_telemetry(id, 1, 30s).size() == 1);
    REQUIRE(env.hub().wait_for_connected(id));

    REQUIRE(env.hub().kick(id).ok());
    auto parse = scrape_until(metrics_port, [](const PromParse& p) {
        return prom_value(p, "hubgate_reconnects_total", "hubgate_reconnects_total") >= 1 &&
               prom_value(p, "hubgate_sessions", "hubgate_sessions", {{"state", "connected"}}) == 1;
    });
    CHECK(value_or_minus_one(parse, "hubgate_reconnects_total", "hubgate_reconnects_total") >= 1);
    CHECK(value_or_minus_one(parse, "hubgate_sessions", "hubgate_sessions",
                             {{"state", "connected"}}) == 1);

    REQUIRE(env.hub().set_faults({{"twinThrottleSeconds", 30}}).ok());
    REQUIRE(device.publish("t/plant1/s1/state", R"({"firmware":"2.0.1"})"));
    parse = scrape_until(metrics_port, [](const PromParse& p) {
        return prom_value(p, "hubgate_throttle_hits_total", "hubgate_throttle_hits_total") >= 1;
    });
    CHECK(value_or_minus_one(parse, "hubgate_throttle_hits_total", "hubgate_throttle_hits_total") >=
          1);
    REQUIRE(env.hub().set_faults({{"twinThrottleSeconds", 0}}).ok());
    CHECK(env.stop_hubgate() == 0);
}

TEST_CASE("without metrics.listen no metrics endpoint is opened") {
    BridgeEnv env(with_devices({"plant1-s1"}));
    env.start_hubgate();
    CHECK(env.wait_for_log("metrics: off (metrics.listen is not set)"));
    CHECK(env.hubgate_output().find("metrics: serving") == std::string::npos);
    // The control socket is on all the same.
    CHECK(run({kHubgate, "status", "--socket", (env.dir().path() / "control.sock").string()}, 30s)
              .status == 0);
    CHECK(env.stop_hubgate() == 0);
}

TEST_CASE("a metrics address that cannot be bound stops hubgate from starting") {
    const int metrics_port = free_tcp_port();
    PortSquatter squatter(metrics_port);
    REQUIRE(squatter.bound);
    BridgeEnv env(with_metrics({"plant1-s1"}, metrics_port));
    const auto result =
        run({kHubgate, "run", "-c", (env.dir().path() / "hubgate.toml").string()}, 60s);
    CHECK(result.status == 1);
    CHECK(result.output.find("cannot listen on 127.0.0.1:" + std::to_string(metrics_port) +
                             " for metrics") != std::string::npos);
    CHECK(result.output.find("subscribed to") == std::string::npos);
    // It let go of what it had opened on the way.
    CHECK_FALSE(std::filesystem::exists(env.dir().path() / "control.sock"));
}

TEST_CASE("a control socket that cannot be opened is logged and the bridge runs on") {
    const std::string id = "plant1-s1";
    BridgeEnv env(with_devices({id}));
    // A regular file where the socket should go: the server never replaces one.
    const auto socket = env.dir().path() / "control.sock";
    std::ofstream(socket) << "not a socket\n";
    env.start_hubgate();
    CHECK(env.wait_for_log("exists and is not a socket"));
    LegacyClient device(env.local_port(), "legacy-s1");
    REQUIRE(device.wait_connected());
    REQUIRE(device.publish("t/plant1/s1/telemetry", R"({"seq":1})"));
    CHECK(env.hub().wait_for_telemetry(id, 1, 30s).size() == 1);
    CHECK(env.stop_hubgate() == 0);
    CHECK(std::filesystem::is_regular_file(socket));  // left as it was
}

}  // namespace hubgate::test
