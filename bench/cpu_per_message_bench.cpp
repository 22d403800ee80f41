// CPU per routed message (issue 8, item 5), counted in instructions so noise does not move it:
// `hubgate run` under valgrind's callgrind forwards a fixed number of 100 B QoS 1 messages from
// one legacy publisher to one device session on hubsim, then stops. Two runs that differ only in
// the message count: (instructions of the big run − of the small run) / (difference in messages)
// is the cost of one message through hubgate (local link, mapping, spool, session, Paho, TLS),
// with start-up, connects and shutdown cancelled out. Idle work while valgrind runs slowly (timers,
// keep-alives) is not cancelled exactly; a third run with the small count that idles as long as
// the big one took estimates it. Prints a table, writes JSON (--json FILE).

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
using hubgate::test::TempDir;
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

// One hubgate lifetime under callgrind: start, connect the device, forward `messages`,
// idle `extra_idle`, stop.
Run run_once(HubsimFixture& hub, int messages, std::chrono::milliseconds extra_idle) {
    TempDir dir("hubgate-bench-cpu");
    Broker local(dir, "local");
    const std::string out = (dir.path() / "callgrind.out").string();
    auto hubgate = start_hubgate(
        dir, hub,
        {.local_port = local.port(),
         .startup_devices = {kDevice},
         .launcher = {"/usr/bin/valgrind", "--tool=callgrind", "--callgrind-out-file=" + out}});
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
    // To read the profile (callgrind_annotate), name a folder to keep each run's output in.
    if (const char* keep = std::getenv("BENCH_KEEP_CALLGRIND"))
        std::filesystem::copy_file(
            out, std::filesystem::path(keep) / ("callgrind." + std::to_string(messages) + ".out"),
            std::filesystem::copy_options::overwrite_existing);
    // The next run's session replaces this one: wait until hubsim saw it go.
    hub.wait_for_connected(kDevice, false, 30s);
    return run;
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
        const double per_message =
            (static_cast<double>(big.instructions) - static_cast<double>(small.instructions)) /
            messages;
        const double idle_share = (static_cast<double>(small_idle.instructions) -
                                   static_cast<double>(small.instructions)) /
                                  messages;
        std::printf("cpu_per_message: hubgate under callgrind, 1 device, 100 B QoS 1\n");
        std::printf("  %-34s %14s %10s\n", "run", "instructions", "seconds");
        std::printf("  %-34s %14llu %10.1f\n", (std::to_string(kSmallRun) + " messages").c_str(),
                    static_cast<unsigned long long>(small.instructions), small.seconds);
        std::printf("  %-34s %14llu %10.1f\n", (std::to_string(kBigRun) + " messages").c_str(),
                    static_cast<unsigned long long>(big.instructions), big.seconds);
        std::printf("  %-34s %14llu %10.1f\n",
                    (std::to_string(kSmallRun) + " messages + idle").c_str(),
                    static_cast<unsigned long long>(small_idle.instructions),
                    small.seconds + static_cast<double>(idle_extra.count()) / 1000);
        std::printf(
            "  instructions per message: %.0f (of which idle work while valgrind ran: "
            "~%.0f; without it: %.0f)\n",
            per_message, idle_share, per_message - idle_share);
        write_json(json_path,
                   json{{"benchmark", "cpu_per_message"},
                        {"small_run",
                         {{"messages", small.messages},
                          {"instructions", small.instructions},
                          {"seconds", small.seconds}}},
                        {"big_run",
                         {{"messages", big.messages},
                          {"instructions", big.instructions},
                          {"seconds", big.seconds}}},
                        {"small_run_idle",
                         {{"messages", small_idle.messages},
                          {"instructions", small_idle.instructions},
                          {"extra_idle_s", static_cast<double>(idle_extra.count()) / 1000}}},
                        {"instructions_per_message", per_message},
                        {"idle_instructions_per_message", idle_share},
                        {"instructions_per_message_without_idle", per_message - idle_share}});
    } catch (const std::exception& error) {
        std::fprintf(stderr, "bench_cpu_per_message: %s\n", error.what());
        return 1;
    }
    return 0;
}
