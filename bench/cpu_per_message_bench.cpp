// CPU per routed message (issue 8, item 5; issue 17), counted in instructions so noise does not
// move it, for hubgate and for mosquitto's own bridge, the same way:
// - hubgate: `hubgate run` under valgrind's callgrind forwards a fixed number of 100 B QoS 1
//   messages from one legacy publisher to one device session on hubsim, then stops. Two runs that
//   differ only in the message count: (instructions of the big run − of the small run) /
//   (difference in messages) is the cost of one message through hubgate (local link, mapping,
//   spool, session, TLS), with start-up, connects and shutdown cancelled out. Idle work while
//   valgrind runs slowly (timers, keep-alives) is not cancelled exactly; a third run with the
//   small count that idles as long as the big one took estimates it.
// - the bridge: the local mosquitto under callgrind, with a `connection` block (QoS 1, TLS with
//   CA verification to a plain mosquitto far end) and without it, the same two message counts
//   each; its cost per bridged message is the slope with the bridge minus the slope without (what
//   the broker spends anyway to take a publish in and acknowledge it). Each small run idles until
//   it has lasted as long as its big run, so the broker's timer work cancels in the slope.
// Prints a table and both figures with their ratio; writes JSON (--json FILE).

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bench_env.hpp"
#include "mqtt_clients.hpp"

namespace {

using namespace hubgate::bench;
using hubgate::test::HubsimFixture;
using hubgate::test::ScratchDir;
using nlohmann::json;

constexpr int kSmallRun = 500;
constexpr int kBigRun = 2500;
const std::string kDevice = "d00000";

// "summary: N" / "totals: N" of a callgrind output file: instructions executed (Ir).
uint64_t callgrind_total(const std::string& path) {
    std::ifstream in(path);
    std::string line;
    uint64_t total = 0;
    while (std::getline(in, line)) {
        if (line.rfind("summary:", 0) == 0 || line.rfind("totals:", 0) == 0)
            total = std::stoull(line.substr(line.find(':') + 1));
    }
    if (total == 0)
        throw std::runtime_error("no instruction total in " + path);
    return total;
}

struct Run {
    int messages = 0;
    uint64_t instructions = 0;
    double seconds = 0;  // from the first publish to the last arrival (under valgrind)
};

std::vector<std::string> callgrind(const std::string& out_file) {
    return {"/usr/bin/valgrind", "--tool=callgrind", "--callgrind-out-file=" + out_file};
}

void keep_profile(const std::string& out, const std::string& name) {
    // To read the profile (callgrind_annotate), name a folder to keep each run's output in.
    if (const char* keep = std::getenv("BENCH_KEEP_CALLGRIND"))
        std::filesystem::copy_file(out,
                                   std::filesystem::path(keep) / ("callgrind." + name + ".out"),
                                   std::filesystem::copy_options::overwrite_existing);
}

// One hubgate lifetime under callgrind: start, connect the device, forward `messages`,
// idle `extra_idle`, stop.
Run run_once(HubsimFixture& hub, int messages, std::chrono::milliseconds extra_idle) {
    ScratchDir dir("hubgate-bench-cpu");
    Broker local(dir, "local");
    const std::string out = (dir.path() / "callgrind.out").string();
    auto hubgate = start_hubgate(
        dir, hub,
        {.local_port = local.port(), .startup_devices = {kDevice}, .launcher = callgrind(out)});
    if (!hub.wait_for_connected(kDevice, true, 120s))
        throw std::runtime_error("hubgate's session did not connect under valgrind");
    PublisherFleet publisher({local.port(), ""},
                             {{"bench-cpu-legacy", local_topic(kDevice), "", ""}});
    if (!publisher.connect(30s))
        throw std::runtime_error("publisher did not connect");
    Run run{messages};
    const uint64_t base = hub_telemetry_count(hub);
    const auto start = std::chrono::steady_clock::now();
    publisher.publish({.per_client = messages,
                       .payload_size = 100,
                       .window = 100,
                       .timeout = std::chrono::milliseconds(300000)});
    const auto until = std::chrono::steady_clock::now() + 300s;
    while (hub_telemetry_count(hub) < base + static_cast<uint64_t>(messages)) {
        if (std::chrono::steady_clock::now() > until)
            throw std::runtime_error("not every message arrived under valgrind");
        std::this_thread::sleep_for(20ms);
    }
    run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::this_thread::sleep_for(extra_idle);
    hubgate->stop(120s);
    run.instructions = callgrind_total(out);
    keep_profile(out, std::to_string(messages) + (extra_idle.count() > 0 ? ".idle" : ""));
    // The next run's session replaces this one: wait until hubsim saw it go.
    hub.wait_for_connected(kDevice, false, 30s);
    return run;
}

// The far end of the bridge runs: a plain mosquitto with a TLS listener (not under valgrind) and
// a subscriber there that counts what the bridge delivered. hubgate's sessions can go there too
// (it accepts any CONNECT), counted by a second subscriber, so both pay for the same far end.
const std::string kFarEndHubName = "far-end.bench.test";
struct FarEnd {
    ScratchDir dir{"hubgate-bench-cpu-far"};
    TestCertificate cert = make_test_certificate(dir, kFarEndHubName);
    Broker broker{dir, "far", &cert};
    Sink sink{{broker.port(), ""}, {"bench-cpu-far-sink", "far/#", "", ""}};
    Sink device_sink{{broker.port(), ""},
                     {"bench-cpu-device-sink", "devices/+/messages/events/#", "", ""}};
};

// One hubgate lifetime under callgrind whose session goes to the plain far end: start, forward
// one message (it arrives once the session is up), then `messages`, stop.
Run plain_far_end_run(FarEnd& far, int messages) {
    ScratchDir dir("hubgate-bench-cpu-plain");
    Broker local(dir, "local");
    const std::string out = (dir.path() / "callgrind.out").string();
    auto hubgate = start_hubgate(
        dir,
        HubEndpoint{kFarEndHubName, far.broker.tls_port(), far.cert.cert_file,
                    HubsimFixture::random_key()},
        {.local_port = local.port(), .startup_devices = {kDevice}, .launcher = callgrind(out)});
    PublisherFleet publisher({local.port(), ""},
                             {{"bench-cpu-legacy", local_topic(kDevice), "", ""}});
    if (!publisher.connect(30s))
        throw std::runtime_error("publisher did not connect");
    const auto wait_for = [&](uint64_t count, const char* what) {
        const auto until = std::chrono::steady_clock::now() + 300s;
        while (far.device_sink.received() < count) {
            if (std::chrono::steady_clock::now() > until)
                throw std::runtime_error(what);
            std::this_thread::sleep_for(20ms);
        }
    };
    const uint64_t first = far.device_sink.received() + 1;
    publisher.publish({.per_client = 1, .payload_size = 100});
    wait_for(first, "hubgate's session to the plain far end did not come up under valgrind");
    Run run{messages};
    const auto start = std::chrono::steady_clock::now();
    publisher.publish({.per_client = messages,
                       .payload_size = 100,
                       .window = 100,
                       .timeout = std::chrono::milliseconds(300000)});
    wait_for(first + static_cast<uint64_t>(messages),
             "not every message reached the plain far end under valgrind");
    run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    hubgate->stop(120s);
    run.instructions = callgrind_total(out);
    keep_profile(out, "plain." + std::to_string(messages));
    return run;
}

// The bridge is up once a probe crosses it. Both kinds of run send one probe first (and the
// bridged ones more until one arrives), so the broker's work outside the timed messages matches.
void probe_until_bridged(PublisherFleet& publisher, FarEnd* far) {
    const uint64_t base = far ? far->sink.received() : 0;
    const auto until = std::chrono::steady_clock::now() + 120s;
    do {
        publisher.publish({.per_client = 1, .payload_size = 100});
        if (!far)
            return;
        const auto wait_until = std::chrono::steady_clock::now() + 1s;
        while (far->sink.received() == base && std::chrono::steady_clock::now() < wait_until)
            std::this_thread::sleep_for(10ms);
        if (std::chrono::steady_clock::now() > until)
            throw std::runtime_error("the bridge did not come up under valgrind");
    } while (far->sink.received() == base);
}

// One local broker lifetime under callgrind: start (with a bridge to `far`, or none), forward
// `messages` (bridged: until all arrived at the far end; else until all acknowledged), idle until
// `last_at_least` has passed since the first publish, stop.
Run broker_run(FarEnd* far, int messages, std::chrono::duration<double> last_at_least) {
    ScratchDir dir("hubgate-bench-cpu-broker");
    const std::string out = (dir.path() / "callgrind.out").string();
    Broker local(dir, "local", nullptr,
                 far ? bridge_connection(far->broker.tls_port(), far->cert.cert_file) : "",
                 callgrind(out));
    PublisherFleet publisher({local.port(), ""},
                             {{"bench-cpu-legacy", "bridge/" + kDevice, "", ""}});
    if (!publisher.connect(60s))
        throw std::runtime_error("publisher did not connect to the broker under valgrind");
    probe_until_bridged(publisher, far);
    Run run{messages};
    const uint64_t base = far ? far->sink.received() : 0;
    const auto start = std::chrono::steady_clock::now();
    const auto published = publisher.publish({.per_client = messages,
                                              .payload_size = 100,
                                              .window = 100,
                                              .timeout = std::chrono::milliseconds(300000)});
    if (!published.complete)
        throw std::runtime_error("the broker under valgrind did not acknowledge every message");
    const auto until = start + 300s;
    while (far && far->sink.received() < base + static_cast<uint64_t>(messages)) {
        if (std::chrono::steady_clock::now() > until)
            throw std::runtime_error("not every message crossed the bridge under valgrind");
        std::this_thread::sleep_for(20ms);
    }
    run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (last_at_least.count() > run.seconds)
        std::this_thread::sleep_for(last_at_least - std::chrono::duration<double>(run.seconds));
    local.stop(120s);
    run.instructions = callgrind_total(out);
    keep_profile(out, std::string(far ? "bridge." : "broker.") + std::to_string(messages));
    return run;
}

// Instructions per message between two runs.
double slope(const Run& small, const Run& big) {
    return (static_cast<double>(big.instructions) - static_cast<double>(small.instructions)) /
           static_cast<double>(big.messages - small.messages);
}

json to_json(const Run& run) {
    return json{
        {"messages", run.messages}, {"instructions", run.instructions}, {"seconds", run.seconds}};
}

void print_run(const std::string& name, const Run& run) {
    std::printf("  %-44s %14llu %10.1f\n", name.c_str(),
                static_cast<unsigned long long>(run.instructions), run.seconds);
}

}  // namespace

int main(int argc, char** argv) {
    const std::string json_path = json_path_from_args(argc, argv, "bench_cpu_per_message");
    kill_children_on_signal();
    try {
        if (hubgate::test::run({"/usr/bin/valgrind", "--version"}, 10s).status != 0) {
            std::fprintf(stderr, "bench_cpu_per_message: valgrind is not installed\n");
            return 1;
        }
        hubgate::test::HubsimOptions hub_options{.devices = {{.id = kDevice}},
                                                 .ready_timeout = 30s};
        hub_options.policies.push_back({"device", "", {"DeviceConnect"}});
        HubsimFixture hub(hub_options);
        watch_child(hub.process().pid());

        const Run small = run_once(hub, kSmallRun, 0ms);
        const Run big = run_once(hub, kBigRun, 0ms);
        const auto idle_extra = std::chrono::milliseconds(
            static_cast<int64_t>(std::max(0.0, big.seconds - small.seconds) * 1000));
        const Run small_idle = run_once(hub, kSmallRun, idle_extra);

        const double messages = kBigRun - kSmallRun;
        const double per_message = slope(small, big);
        const double idle_share = (static_cast<double>(small_idle.instructions) -
                                   static_cast<double>(small.instructions)) /
                                  messages;

        // The bridge: big runs first, so each small run knows how long to last.
        FarEnd far;
        if (!far.sink.start(10s) || !far.device_sink.start(10s))
            throw std::runtime_error("the far end's subscribers did not subscribe");
        const Run plain_far_small = plain_far_end_run(far, kSmallRun);
        const Run plain_far_big = plain_far_end_run(far, kBigRun);
        const double per_message_plain = slope(plain_far_small, plain_far_big);
        const Run bridge_big = broker_run(&far, kBigRun, 0s);
        const Run bridge_small =
            broker_run(&far, kSmallRun, std::chrono::duration<double>(bridge_big.seconds));
        const Run plain_big = broker_run(nullptr, kBigRun, 0s);
        const Run plain_small =
            broker_run(nullptr, kSmallRun, std::chrono::duration<double>(plain_big.seconds));
        const double broker_with_bridge = slope(bridge_small, bridge_big);
        const double broker_alone = slope(plain_small, plain_big);
        const double bridge_per_message = broker_with_bridge - broker_alone;
        const double ratio = bridge_per_message > 0 ? per_message / bridge_per_message : 0;
        constexpr double kGoal = 22000;
        const bool goals_met = per_message <= kGoal && per_message <= bridge_per_message;

        std::printf(
            "cpu_per_message: instructions under callgrind, 1 device / 1 publisher, 100 B QoS 1\n");
        std::printf("  %-44s %14s %10s\n", "run", "instructions", "seconds");
        const std::string small_n = std::to_string(kSmallRun) + " messages";
        const std::string big_n = std::to_string(kBigRun) + " messages";
        print_run("hubgate, " + small_n, small);
        print_run("hubgate, " + big_n, big);
        print_run("hubgate, " + small_n + " + idle", small_idle);
        print_run("hubgate to the plain far end, " + small_n, plain_far_small);
        print_run("hubgate to the plain far end, " + big_n, plain_far_big);
        print_run("broker with bridge, " + small_n + " (padded)", bridge_small);
        print_run("broker with bridge, " + big_n, bridge_big);
        print_run("broker alone, " + small_n + " (padded)", plain_small);
        print_run("broker alone, " + big_n, plain_big);
        std::printf(
            "  hubgate: %.0f instructions per message (of which idle work while valgrind ran: "
            "~%.0f; without it: %.0f)\n",
            per_message, idle_share, per_message - idle_share);
        std::printf(
            "  mosquitto bridge: %.0f instructions per message (broker with the bridge %.0f − "
            "alone %.0f)\n",
            bridge_per_message, broker_with_bridge, broker_alone);
        std::printf(
            "  hubgate to the bridge's plain TLS far end: %.0f instructions per message "
            "(hubgate / bridge %.2f)\n",
            per_message_plain, bridge_per_message > 0 ? per_message_plain / bridge_per_message : 0);
        std::printf("  hubgate / bridge: %.2f\n", ratio);
        std::printf("  goal (hubgate ≤ %.0f and ≤ the bridge): %s\n", kGoal,
                    goals_met ? "met" : "NOT met");
        write_json(json_path,
                   json{{"benchmark", "cpu_per_message"},
                        {"small_run", to_json(small)},
                        {"big_run", to_json(big)},
                        {"small_run_idle",
                         {{"messages", small_idle.messages},
                          {"instructions", small_idle.instructions},
                          {"extra_idle_s", static_cast<double>(idle_extra.count()) / 1000}}},
                        {"instructions_per_message", per_message},
                        {"idle_instructions_per_message", idle_share},
                        {"instructions_per_message_without_idle", per_message - idle_share},
                        {"bridge",
                         {{"with_bridge_small_run", to_json(bridge_small)},
                          {"with_bridge_big_run", to_json(bridge_big)},
                          {"alone_small_run", to_json(plain_small)},
                          {"alone_big_run", to_json(plain_big)},
                          {"broker_with_bridge_per_message", broker_with_bridge},
                          {"broker_alone_per_message", broker_alone},
                          {"instructions_per_message", bridge_per_message}}},
                        {"ratio_hubgate_to_bridge", ratio},
                        {"plain_far_end",
                         {{"small_run", to_json(plain_far_small)},
                          {"big_run", to_json(plain_far_big)},
                          {"instructions_per_message", per_message_plain}}},
                        {"goal_instructions_per_message", kGoal},
                        {"goals_met", goals_met}});
    } catch (const std::exception& error) {
        std::fprintf(stderr, "bench_cpu_per_message: %s\n", error.what());
        return 1;
    }
    return 0;
}
