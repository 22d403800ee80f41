// Heap allocations per forwarded telemetry message (issue 17): one legacy publisher, one device
// session on hubsim, 100 B QoS 1, as bench_cpu_per_message runs it, but the daemon runs inside
// this binary, whose global operator new counts every allocation of every thread. Two runs that
// differ only in the message count: (allocations of the big run - of the small run) / (difference
// in messages) is what one message costs, with start-up, connects and shutdown cancelled out.
// Counted: C++ allocations (operator new: hubgate, the standard library, Paho). Not counted:
// libmosquitto's and OpenSSL's own malloc() calls (C code, under the MQTT and TLS writes).
// Allocations at least as large as the payload are counted apart: every buffer that holds a copy
// of the payload is one of them (a run with a 1,000 B payload makes the line sharp).
//
//   bench_allocations [--json FILE]                      the benchmark
//   bench_allocations --host COUNTS HUBGATE run -c CONF  (internal) the daemon, counting; writes
//                                                        its totals to COUNTS when it stops
// Prints a table, writes JSON (--json FILE).

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "bench_env.hpp"
#include "gateway/config/config.hpp"
#include "gateway/daemon/run_daemon.hpp"
#include "gateway/log/log.hpp"
#include "mqtt_clients.hpp"

namespace {

// What the counting operator new has seen in this process. Plain atomics: operator new may run
// before main and on every thread.
std::atomic<std::uint64_t> g_allocations{0};
std::atomic<std::uint64_t> g_bytes{0};
std::atomic<std::uint64_t> g_large{0};                 // at least g_large_threshold bytes
std::atomic<std::size_t> g_large_threshold{SIZE_MAX};  // set from the payload size in host mode

void* counted_alloc(std::size_t size) {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    g_bytes.fetch_add(size, std::memory_order_relaxed);
    if (size >= g_large_threshold.load(std::memory_order_relaxed)) {
        g_large.fetch_add(1, std::memory_order_relaxed);
    }
    return std::malloc(size == 0 ? 1 : size);
}

void* counted_aligned(std::size_t size, std::align_val_t align) {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    g_bytes.fetch_add(size, std::memory_order_relaxed);
    const auto alignment = static_cast<std::size_t>(align);
    // aligned_alloc wants a size that is a multiple of the alignment.
    return std::aligned_alloc(alignment, (size + alignment - 1) / alignment * alignment);
}

}  // namespace

void* operator new(std::size_t size) {
    if (void* block = counted_alloc(size)) {
        return block;
    }
    throw std::bad_alloc();
}
void* operator new[](std::size_t size) {
    if (void* block = counted_alloc(size)) {
        return block;
    }
    throw std::bad_alloc();
}
void* operator new(std::size_t size, const std::nothrow_t& /*tag*/) noexcept {
    return counted_alloc(size);
}
void* operator new[](std::size_t size, const std::nothrow_t& /*tag*/) noexcept {
    return counted_alloc(size);
}
void* operator new(std::size_t size, std::align_val_t align) {
    if (void* block = counted_aligned(size, align)) {
        return block;
    }
    throw std::bad_alloc();
}
void* operator new[](std::size_t size, std::align_val_t align) {
    if (void* block = counted_aligned(size, align)) {
        return block;
    }
    throw std::bad_alloc();
}
void operator delete(void* block) noexcept {
    std::free(block);
}
void operator delete[](void* block) noexcept {
    std::free(block);
}
void operator delete(void* block, std::size_t /*size*/) noexcept {
    std::free(block);
}
void operator delete[](void* block, std::size_t /*size*/) noexcept {
    std::free(block);
}
void operator delete(void* block, const std::nothrow_t& /*tag*/) noexcept {
    std::free(block);
}
void operator delete[](void* block, const std::nothrow_t& /*tag*/) noexcept {
    std::free(block);
}
void operator delete(void* block, std::align_val_t /*align*/) noexcept {
    std::free(block);
}
void operator delete[](void* block, std::align_val_t /*align*/) noexcept {
    std::free(block);
}
void operator delete(void* block, std::size_t /*size*/, std::align_val_t /*align*/) noexcept {
    std::free(block);
}
void operator delete[](void* block, std::size_t /*size*/, std::align_val_t /*align*/) noexcept {
    std::free(block);
}

namespace {

using namespace hubgate::bench;
using hubgate::test::HubsimFixture;
using hubgate::test::ScratchDir;
using nlohmann::json;

constexpr int kSmallRun = 500;
constexpr int kBigRun = 2500;
const std::string kDevice = "d00000";
constexpr std::string_view kHostFlag = "--host";
// Tells the host how large a payload is (its "large" threshold).
constexpr const char* kPayloadEnv = "HUBGATE_BENCH_PAYLOAD_BYTES";

// The daemon, counting: `hubgate run -c CONF` as cmd_run.cpp does it, then the totals.
int run_host(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "bench_allocations --host COUNTS HUBGATE run -c CONFIG\n");
        return 2;
    }
    if (const char* payload = std::getenv(kPayloadEnv)) {
        g_large_threshold = static_cast<std::size_t>(std::strtoull(payload, nullptr, 10));
    }
    const std::string counts_file = argv[2];
    std::string config_file;
    for (int i = 3; i + 1 < argc; ++i) {
        if (std::string_view(argv[i]) == "-c") {
            config_file = argv[i + 1];
        }
    }
    auto loaded = hubgate::config::load_config(config_file);
    if (!loaded.ok()) {
        for (const auto& diagnostic : loaded.diagnostics) {
            std::fprintf(stderr, "%s\n", hubgate::config::format_diagnostic(diagnostic).c_str());
        }
        return 1;
    }
    hubgate::log::init(loaded.config.log.level);
    const int status = hubgate::daemon::run_daemon(loaded.config);
    std::ofstream out(counts_file);
    out << g_allocations.load() << ' ' << g_bytes.load() << ' ' << g_large.load() << '\n';
    return status;
}

struct Counts {
    std::uint64_t allocations = 0;
    std::uint64_t bytes = 0;
    std::uint64_t large = 0;  // at least the payload's size
};

Counts read_counts(const std::filesystem::path& path) {
    std::ifstream in(path);
    Counts counts;
    if (!(in >> counts.allocations >> counts.bytes >> counts.large)) {
        throw std::runtime_error("the daemon wrote no counts to " + path.string());
    }
    return counts;
}

// One daemon lifetime: start, connect the device, forward `messages` of `payload` bytes, stop.
Counts run_once(HubsimFixture& hub, int messages, std::size_t payload) {
    ScratchDir dir("hubgate-bench-allocations");
    Broker local(dir, "local");
    const auto counts_file = dir.path() / "allocations.counts";
    ::setenv(kPayloadEnv, std::to_string(payload).c_str(), 1);  // inherited by the daemon
    const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
    auto daemon = start_hubgate(dir, hub,
                                {.local_port = local.port(),
                                 .startup_devices = {kDevice},
                                 .launcher = {self, std::string(kHostFlag), counts_file.string()}});
    if (!hub.wait_for_connected(kDevice, true, 60s))
        throw std::runtime_error("the device session did not connect");
    PublisherFleet publisher({local.port(), ""},
                             {{"bench-allocations-legacy", local_topic(kDevice), "", ""}});
    if (!publisher.connect(30s))
        throw std::runtime_error("publisher did not connect");
    const uint64_t base = hub_telemetry_count(hub);
    publisher.publish({.per_client = messages,
                       .payload_size = payload,
                       .window = 100,
                       .timeout = std::chrono::milliseconds(120000)});
    const auto until = std::chrono::steady_clock::now() + 120s;
    while (hub_telemetry_count(hub) < base + static_cast<uint64_t>(messages)) {
        if (std::chrono::steady_clock::now() > until)
            throw std::runtime_error("not every message arrived");
        std::this_thread::sleep_for(20ms);  // polling interval of a bounded wait
    }
    daemon->stop(60s);
    // The next run's session replaces this one: wait until hubsim saw it go.
    hub.wait_for_connected(kDevice, false, 30s);
    return read_counts(counts_file);
}

struct PerMessage {
    double allocations = 0;
    double bytes = 0;
    double large = 0;
};

PerMessage per_message(HubsimFixture& hub, std::size_t payload) {
    const Counts small = run_once(hub, kSmallRun, payload);
    const Counts big = run_once(hub, kBigRun, payload);
    const double messages = kBigRun - kSmallRun;
    const auto slope = [messages](std::uint64_t from, std::uint64_t to) {
        return (static_cast<double>(to) - static_cast<double>(from)) / messages;
    };
    return {slope(small.allocations, big.allocations), slope(small.bytes, big.bytes),
            slope(small.large, big.large)};
}

}  // namespace

int main(int argc, char** argv) {
    if (argc > 1 && std::string_view(argv[1]) == kHostFlag) {
        return run_host(argc, argv);
    }
    const std::string json_path = json_path_from_args(argc, argv, "bench_allocations");
    kill_children_on_signal();
    try {
        hubgate::test::HubsimOptions hub_options{.devices = {{.id = kDevice}},
                                                 .ready_timeout = 30s};
        hub_options.policies.push_back({"device", "", {"DeviceConnect"}});
        HubsimFixture hub(hub_options);
        watch_child(hub.process().pid());

        const PerMessage at_100 = per_message(hub, 100);
        const PerMessage at_1000 = per_message(hub, 1000);
        std::printf(
            "allocations: heap allocations (operator new) per forwarded message, 1 device, QoS "
            "1\n");
        std::printf("  %-10s %12s %14s %24s\n", "payload", "allocations", "bytes",
                    "blocks >= payload");
        std::printf("  %-10s %12.2f %14.0f %24.2f\n", "100 B", at_100.allocations, at_100.bytes,
                    at_100.large);
        std::printf("  %-10s %12.2f %14.0f %24.2f\n", "1000 B", at_1000.allocations, at_1000.bytes,
                    at_1000.large);
        std::printf(
            "  goal: at most 6 allocations per message; blocks >= payload at 1000 B bound "
            "the payload's copies\n");
        const auto row = [](const PerMessage& m) {
            return json{{"allocations_per_message", m.allocations},
                        {"bytes_per_message", m.bytes},
                        {"blocks_at_least_payload_per_message", m.large}};
        };
        write_json(json_path, json{{"benchmark", "allocations"},
                                   {"small_run_messages", kSmallRun},
                                   {"big_run_messages", kBigRun},
                                   {"payload_100", row(at_100)},
                                   {"payload_1000", row(at_1000)},
                                   {"goal_allocations_per_message", 6}});
    } catch (const std::exception& error) {
        std::fprintf(stderr, "bench_allocations: %s\n", error.what());
        return 1;
    }
    return 0;
}
