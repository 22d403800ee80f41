// Direct-method round trip through hubsim at idle (issue 3: < 5 ms median): one device on
// Paho over TLS answers every request at once; the service side invokes the method over HTTPS,
// one call at a time. A plain GET /twins/{id} over the same kind of connection is measured in
// the same run as the baseline, so the method's own cost shows as a ratio. Prints a table; writes
// JSON to the path given with --json. Never fails on speed, only when a call fails.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include <httplib.h>
#include <mqtt/async_client.h>
#include <nlohmann/json.hpp>

#include "bench_output.hpp"
#include "hubsim_fixture/hubsim_fixture.hpp"
#include "service_connection.hpp"

namespace {

using hubgate::bench::ServiceConnection;
using hubgate::test::HubsimFixture;
using hubgate::test::HubsimOptions;
using nlohmann::json;
using namespace std::chrono_literals;

constexpr int kWarmupCalls = 20;
constexpr int kMeasuredCalls = 300;
constexpr double kGoalMedianMs = 5.0;
// Bounds the whole run (the measured part normally takes a few seconds).
constexpr auto kRunBudget = 45s;
const std::string kDevice = "bench-dev";

// The device: answers every method request at once with status 200 and a tiny body.
class AnsweringDevice {
  public:
    explicit AnsweringDevice(const HubsimFixture& hub)
        : client_("ssl://127.0.0.1:" + std::to_string(hub.mqtts_port()), kDevice,
                  mqtt::create_options(MQTTVERSION_3_1_1)) {
        client_.set_message_callback([this](mqtt::const_message_ptr request) { answer(request); });
        auto options =
            mqtt::connect_options_builder()
                .mqtt_version(MQTTVERSION_3_1_1)
                .user_name(hub.device_username(kDevice))
                .password(hub.device_token(kDevice))
                .clean_session(true)
                .ssl(mqtt::ssl_options_builder().trust_store(hub.ca_file().string()).finalize())
                .finalize();
        client_.connect(options)->wait_for(10s);
        client_.subscribe("$iothub/methods/POST/#", 1)->wait_for(10s);
    }
    ~AnsweringDevice() {
        try {
            client_.disconnect()->wait_for(5s);
        } catch (const mqtt::exception&) {
            // already gone: nothing to clean up
        }
    }
    AnsweringDevice(const AnsweringDevice&) = delete;
    AnsweringDevice& operator=(const AnsweringDevice&) = delete;

    int answered() const { return answered_.load(); }

  private:
    void answer(const mqtt::const_message_ptr& request) {
        const std::string& topic = request->get_topic();
        const auto rid = topic.find("?$rid=");
        if (rid == std::string::npos)
            return;
        try {
            client_.publish("$iothub/methods/res/200/?$rid=" + topic.substr(rid + 6),
                            std::string(R"({"ok":true})"), 0, false);
            answered_.fetch_add(1);
        } catch (const mqtt::exception&) {
            // not answered: the service call times out and the benchmark reports it
        }
    }

    mqtt::async_client client_;
    std::atomic<int> answered_{0};
};

struct Percentiles {
    double median_ms;
    double p90_ms;
    double p99_ms;
};

Percentiles percentiles(std::vector<double> samples_ms) {
    std::sort(samples_ms.begin(), samples_ms.end());
    const auto at = [&](double q) {
        const auto index = static_cast<std::size_t>(q * static_cast<double>(samples_ms.size() - 1));
        return samples_ms[index];
    };
    return {at(0.5), at(0.9), at(0.99)};
}

struct Series {
    std::string name;
    Percentiles latency;     // every measured call
    Percentiles reused;      // only calls that reused an open connection (no TLS handshake)
    int connections_opened;  // during the measured calls
};

// Times kMeasuredCalls round trips of `one_call` (after the warm-up) on its own connection; every
// call must answer 200. Returns false (with a message) when one does not or time runs out.
bool measure(const std::string& name, const HubsimFixture& hub,
             const std::function<int(ServiceConnection&, int)>& one_call,
             std::chrono::steady_clock::time_point deadline, Series& series) {
    // Read timeout: the 10 s every call here is given, at most.
    ServiceConnection connection(hub, 10s);
    std::vector<double> samples_ms;
    std::vector<double> reused_ms;
    int opened_before_measuring = 0;
    for (int i = 0; i < kWarmupCalls + kMeasuredCalls; ++i) {
        if (std::chrono::steady_clock::now() > deadline) {
            std::fprintf(stderr, "%s: out of time after %d calls\n", name.c_str(), i);
            return false;
        }
        if (i == kWarmupCalls)
            opened_before_measuring = connection.connections_opened();
        const int opened_before = connection.connections_opened();
        const auto start = std::chrono::steady_clock::now();
        const int status = one_call(connection, i);
        const auto elapsed = std::chrono::steady_clock::now() - start;
        if (status != 200) {
            std::fprintf(stderr, "%s: call %d answered %d\n", name.c_str(), i, status);
            return false;
        }
        if (i < kWarmupCalls)
            continue;
        const double ms = std::chrono::duration<double, std::milli>(elapsed).count();
        samples_ms.push_back(ms);
        if (connection.connections_opened() == opened_before)
            reused_ms.push_back(ms);
    }
    if (reused_ms.empty())
        reused_ms = samples_ms;  // the server closed after every call: nothing better to show
    series = {name, percentiles(samples_ms), percentiles(reused_ms),
              connection.connections_opened() - opened_before_measuring};
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    const std::string json_path =
        hubgate::bench::json_path_from_args(argc, argv, "bench_method_latency");
    const auto deadline = std::chrono::steady_clock::now() + kRunBudget;
    try {
        HubsimFixture hub(HubsimOptions{.devices = {{.id = kDevice}}, .ready_timeout = 20s});
        AnsweringDevice device(hub);
        if (!hub.wait_for_connected(kDevice, true, 10s)) {
            std::fprintf(stderr, "the bench device did not connect\n");
            return 1;
        }
        const std::string twin_path = "/twins/" + kDevice;
        const std::string method_path = twin_path + "/methods";
        const auto invoke = [&](ServiceConnection& connection, int i) {
            const json body{
                {"methodName", "echo"}, {"payload", {{"n", i}}}, {"responseTimeoutInSeconds", 5}};
            const auto result = connection.call("POST", method_path, body.dump());
            return result ? result->status : 0;
        };
        const auto get_twin = [&](ServiceConnection& connection, int) {
            const auto result = connection.call("GET", twin_path, "");
            return result ? result->status : 0;
        };
        Series method;
        Series baseline;
        if (!measure("method", hub, invoke, deadline, method) ||
            !measure("GET twin", hub, get_twin, deadline, baseline)) {
            return 1;
        }
        const double ratio = method.latency.median_ms / baseline.latency.median_ms;
        const bool goal_met = method.latency.median_ms < kGoalMedianMs;

        std::printf(
            "method_latency: hubsim round trips at idle, one call at a time, %d calls after %d "
            "warm-up, HTTPS keep-alive\n",
            kMeasuredCalls, kWarmupCalls);
        std::printf("  %-28s  %9s  %9s  %9s  %11s  %16s\n", "request", "median ms", "p90 ms",
                    "p99 ms", "connections", "reused-conn p90");
        for (const Series* s : {&method, &baseline}) {
            std::printf("  %-28s  %9.2f  %9.2f  %9.2f  %11d  %16.2f\n",
                        (s == &method ? "POST /twins/{id}/methods" : "GET /twins/{id}"),
                        s->latency.median_ms, s->latency.p90_ms, s->latency.p99_ms,
                        s->connections_opened, s->reused.p90_ms);
        }
        std::printf("  method median / GET median: %.2f\n", ratio);
        std::printf("  method median %.2f ms (goal < %.1f ms: %s)\n", method.latency.median_ms,
                    kGoalMedianMs, goal_met ? "met" : "NOT met");

        if (!json_path.empty()) {
            const auto series_json = [](const Series& s) {
                return json{{"median_ms", s.latency.median_ms},
                            {"p90_ms", s.latency.p90_ms},
                            {"p99_ms", s.latency.p99_ms},
                            {"connections_opened", s.connections_opened},
                            {"reused_connection",
                             {{"median_ms", s.reused.median_ms},
                              {"p90_ms", s.reused.p90_ms},
                              {"p99_ms", s.reused.p99_ms}}}};
            };
            const json document{{"benchmark", "method_latency"},
                                {"calls", kMeasuredCalls},
                                {"warmup_calls", kWarmupCalls},
                                {"method", series_json(method)},
                                {"baseline_get_twin", series_json(baseline)},
                                {"ratio_method_to_get_median", ratio},
                                {"goal_median_ms", kGoalMedianMs},
                                {"goals_met", goal_met},
                                {"device_answered", device.answered()}};
            hubgate::bench::write_json(json_path, document);
        }
    } catch (const std::exception& error) {
        std::fprintf(stderr, "method_latency: %s\n", error.what());
        return 1;
    }
    return 0;
}
