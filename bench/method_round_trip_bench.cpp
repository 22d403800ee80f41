// Direct-method round trip through hubgate (issue 8, item 4): service call (HTTPS, hubsim) →
// hubsim → hubgate's device session → local broker → legacy responder → back the same way;
// against hubsim's own round trip to a device client connected straight to it (libmosquitto
// over TLS, answering at once). One call at a time, over one keep-alive HTTPS connection per
// series. Prints a table, writes JSON (--json FILE); never fails because of speed.

#include <cstdio>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

#include "bench_env.hpp"
#include "mqtt_clients.hpp"
#include "service_connection.hpp"

namespace {

using namespace hubgate::bench;
using hubgate::test::HubsimFixture;
using hubgate::test::ScratchDir;
using nlohmann::json;

constexpr int kWarmupCalls = 20;
constexpr int kMeasuredCalls = 300;
const std::string kBridgedDevice = "d00000";
const std::string kDirectDevice = "direct0";

// POST /twins/{id}/methods: the HTTP status (0: no answer) and the method's own status.
std::pair<int, int> invoke(ServiceConnection& connection, const std::string& device, int n) {
    const json body{
        {"methodName", "echo"}, {"payload", {{"n", n}}}, {"responseTimeoutInSeconds", 10}};
    const auto result = connection.call("POST", "/twins/" + device + "/methods", body.dump());
    if (!result)
        return {0, 0};
    const auto answer = json::parse(result->body, nullptr, false);
    return {result->status, answer.is_object() ? answer.value("status", 0) : 0};
}

struct Series {
    double p50 = 0, p90 = 0, p99 = 0;
    int handshakes = 0;
    std::vector<double> reused_ms;  // calls that did not open a connection
};

Series measure(const HubsimFixture& hub, const std::string& device) {
    // Read timeout: longer than the 10 s each method is given.
    ServiceConnection connection(hub, 15s);
    std::vector<double> all_ms;
    Series series;
    for (int i = 0; i < kWarmupCalls + kMeasuredCalls; ++i) {
        const int before = connection.connections_opened();
        const auto start = std::chrono::steady_clock::now();
        const auto [http, status] = invoke(connection, device, i);
        const double ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                .count();
        if (http != 200 || status != 200)
            throw std::runtime_error("method call to " + device + " answered HTTP " +
                                     std::to_string(http) + ", status " + std::to_string(status));
        if (i < kWarmupCalls)
            continue;
        all_ms.push_back(ms);
        if (connection.connections_opened() == before)
            series.reused_ms.push_back(ms);
        else
            ++series.handshakes;
    }
    series.p50 = quantile(all_ms, 0.5);
    series.p90 = quantile(all_ms, 0.9);
    series.p99 = quantile(all_ms, 0.99);
    return series;
}

json to_json(Series s) {
    return json{
        {"p50_ms", s.p50},
        {"p90_ms", s.p90},
        {"p99_ms", s.p99},
        {"connections_opened", s.handshakes},
        {"reused_connection",
         {{"p50_ms", quantile(s.reused_ms, 0.5)}, {"p99_ms", quantile(s.reused_ms, 0.99)}}}};
}

}  // namespace

int main(int argc, char** argv) {
    const std::string json_path = json_path_from_args(argc, argv, "bench_method_round_trip");
    kill_children_on_signal();
    try {
        ScratchDir dir("hubgate-bench-methods");
        hubgate::test::HubsimOptions hub_options{
            .devices = {{.id = kBridgedDevice}, {.id = kDirectDevice}}, .ready_timeout = 30s};
        hub_options.policies.push_back({"device", "", {"DeviceConnect"}});
        HubsimFixture hub(hub_options);
        watch_child(hub.process().pid());
        Broker local(dir, "local");

        // The legacy device behind hubgate: answers b/{dev}/rpc/{method}/{rid} on .../reply/200.
        Sink legacy({local.port(), ""}, {"bench-legacy-responder", "b/+/rpc/+/+", "", ""},
                    [](const std::string& topic) { return topic + "/reply/200"; });
        if (!legacy.start(10s))
            throw std::runtime_error("the legacy responder did not subscribe");
        auto hubgate = start_hubgate(
            dir, hub, {.local_port = local.port(), .startup_devices = {kBridgedDevice}});
        // The device connected straight to hubsim.
        Sink direct({hub.mqtts_port(), hub.ca_file().string()},
                    {kDirectDevice, "$iothub/methods/POST/#", hub.device_username(kDirectDevice),
                     hub.device_token(kDirectDevice)},
                    [](const std::string& topic) {
                        const auto rid = topic.find("?$rid=");
                        return rid == std::string::npos
                                   ? std::string()
                                   : "$iothub/methods/res/200/?$rid=" + topic.substr(rid + 6);
                    });
        if (!direct.start(10s))
            throw std::runtime_error("the direct device did not subscribe");
        // hubgate's session must be up (and subscribed to methods) before the first call.
        if (!hub.wait_for_connected(kBridgedDevice, true, 30s))
            throw std::runtime_error("hubgate's session did not connect");
        // hubgate learns a device's topic captures when it publishes: one telemetry message.
        // Subscribing follows the connect: retry the first call until it is answered.
        {
            PublisherFleet legacy_publisher(
                {local.port(), ""},
                {{"bench-legacy-publisher", local_topic(kBridgedDevice), "", ""}});
            if (!legacy_publisher.connect(10s))
                throw std::runtime_error("the legacy publisher did not connect");
            legacy_publisher.publish({.per_client = 1, .payload_size = 30});
            ServiceConnection probe(hub, 15s);
            const auto until = std::chrono::steady_clock::now() + 20s;
            while (invoke(probe, kBridgedDevice, -1).second != 200) {
                if (std::chrono::steady_clock::now() > until)
                    throw std::runtime_error("hubgate never answered a method call; hubgate:\n" +
                                             hubgate->output());
                std::this_thread::sleep_for(100ms);
            }
        }
        const Series via_hubgate = measure(hub, kBridgedDevice);
        const Series direct_series = measure(hub, kDirectDevice);
        // hubgate's own cost while nothing happens (one session, no traffic): CPU ms per second.
        constexpr auto kIdleWindow = 3s;
        const double idle_before = cpu_seconds(hubgate->pid());
        std::this_thread::sleep_for(kIdleWindow);
        const double idle_cpu_ms_per_s = (cpu_seconds(hubgate->pid()) - idle_before) * 1000 /
                                         std::chrono::duration<double>(kIdleWindow).count();

        std::printf(
            "method round trip: one call at a time, %d calls after %d warm-up, HTTPS "
            "keep-alive\n",
            kMeasuredCalls, kWarmupCalls);
        std::printf("  %-40s %8s %8s %8s %12s %14s\n", "path (ms)", "p50", "p90", "p99",
                    "connections", "reused p50/p99");
        const auto print = [](const char* name, Series s) {
            std::printf("  %-40s %8.2f %8.2f %8.2f %12d %6.2f/%6.2f\n", name, s.p50, s.p90, s.p99,
                        s.handshakes, quantile(s.reused_ms, 0.5), quantile(s.reused_ms, 0.99));
        };
        print("service → hubsim → hubgate → legacy", via_hubgate);
        print("service → hubsim → device (direct)", direct_series);
        std::printf("  added by hubgate: p50 %.2f ms, p99 %.2f ms\n",
                    via_hubgate.p50 - direct_series.p50, via_hubgate.p99 - direct_series.p99);
        std::printf("  hubgate idle (1 session, no traffic): %.1f CPU ms per second\n",
                    idle_cpu_ms_per_s);
        write_json(json_path, json{{"benchmark", "method_round_trip"},
                                   {"calls", kMeasuredCalls},
                                   {"via_hubgate", to_json(via_hubgate)},
                                   {"direct", to_json(direct_series)},
                                   {"added_p50_ms", via_hubgate.p50 - direct_series.p50},
                                   {"added_p99_ms", via_hubgate.p99 - direct_series.p99},
                                   {"legacy_requests", legacy.received()},
                                   {"hubgate_idle_cpu_ms_per_s", idle_cpu_ms_per_s}});
        hubgate->stop();
    } catch (const std::exception& error) {
        std::fprintf(stderr, "bench_method_round_trip: %s\n", error.what());
        return 1;
    }
    return 0;
}
