// Forwarding throughput and added latency (issue 8, items 1 and 2; issue 17), side by side in
// one run:
//   hubgate → hubsim: N legacy publishers → local mosquitto → hubgate → hubsim (one TLS session
//            per device, the IoT Hub emulator with its hub logic)
//   hubgate → plain far end: the same, but hubgate's sessions go to the bridge's far end, a
//            plain mosquitto TLS listener that accepts their CONNECTs and has no hub logic, so
//            both paths pay for the same far end; a subscriber there counts arrivals
//   bridge:  N legacy publishers → local mosquitto with a `connection` block (topic remapping,
//            QoS 1) → the plain mosquitto TLS far end, counted by a subscriber there
//   ceiling: the local broker alone, delivering to one plain subscriber.
// QoS 1 everywhere; payloads of 100 B and 1 KiB; 1, 100 and 1,000 devices. A run publishes a
// fixed number of messages as fast as the local broker acknowledges them and times the last
// arrival at the far end. Latency: at half of hubgate's 100-device saturation rate (to hubsim),
// publish → arrival percentiles minus the same for publishers connected straight to the far end;
// beside it, what one fdatasync of a small append costs on the disk that holds the spool.
// Prints tables, writes JSON (--json FILE); never fails because of speed.

#include <fcntl.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <functional>
#include <iterator>
#include <map>
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

constexpr int kDeviceCounts[] = {1, 100, 1000};
constexpr std::size_t kPayloadSizes[] = {100, 1024};
constexpr int kDirectDevices = 100;      // latency baselines connect this many straight in
constexpr int kLatencyDevices = 100;     // latency runs publish from this many devices
constexpr double kLatencySeconds = 4.0;  // length of each paced latency run
constexpr int kPublisherWindow = 100;    // unacknowledged QoS 1 publishes per legacy client
constexpr auto kArrivalTimeout = 120s;   // per run, for the far end to see every message
constexpr auto kPollEvery = 20ms;
constexpr int kSyncProbes = 200;  // fdatasyncs timed on the spool's disk
// The name hubgate knows the plain far end by (in its certificate, the SAS tokens, usernames).
const std::string kFarEndHubName = "far-end.bench.test";

// Messages per throughput run: enough for several seconds at the rates seen on 2 cores.
int messages_for(std::size_t payload_size) {
    return payload_size <= 100 ? 60000 : 30000;
}

// A process whose CPU time a run accounts for (per message forwarded).
struct Watched {
    std::string name;
    pid_t pid;
};

struct Throughput {
    uint64_t sent = 0;
    uint64_t arrived = 0;
    double seconds = 0;
    std::map<std::string, double> cpu_us_per_message;  // per watched process
    double rate() const { return seconds > 0 ? static_cast<double>(arrived) / seconds : 0; }
    bool complete() const { return arrived >= sent; }
};

json to_json(const Throughput& t) {
    return json{{"messages", t.sent},
                {"arrived", t.arrived},
                {"seconds", t.seconds},
                {"msg_per_s", t.rate()},
                {"cpu_us_per_message", t.cpu_us_per_message},
                {"complete", t.complete()}};
}

std::vector<ClientSpec> legacy_clients(const std::string& prefix, int count,
                                       const std::function<std::string(int)>& topic) {
    std::vector<ClientSpec> specs;
    for (int i = 0; i < count; ++i)
        specs.push_back({prefix + std::to_string(i), topic(i), "", ""});
    return specs;
}

// Publishes `per_client` from every client of `fleet` as fast as acknowledged, then waits for
// `arrived_since_start()` to reach the total; `last_arrival_us()` gives the end time.
Throughput run_throughput(PublisherFleet& fleet, int per_client, std::size_t payload_size,
                          const std::function<uint64_t()>& arrived_since_start,
                          const std::function<int64_t()>& last_arrival_us,
                          const std::vector<Watched>& watched) {
    Throughput t;
    t.sent = static_cast<uint64_t>(per_client) * fleet.size();
    std::vector<double> cpu_before;
    for (const auto& w : watched)
        cpu_before.push_back(cpu_seconds(w.pid));
    const int64_t start = now_us();
    const auto published = fleet.publish(
        {.per_client = per_client,
         .payload_size = payload_size,
         .window = kPublisherWindow,
         .rate = 0,
         .timeout = std::chrono::duration_cast<std::chrono::milliseconds>(kArrivalTimeout)});
    if (!published.complete)
        std::fprintf(stderr, "  (the local broker acknowledged only %llu of %llu)\n",
                     static_cast<unsigned long long>(published.acknowledged),
                     static_cast<unsigned long long>(t.sent));
    const auto until = std::chrono::steady_clock::now() + kArrivalTimeout;
    while ((t.arrived = arrived_since_start()) < t.sent && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(kPollEvery);
    t.seconds = static_cast<double>(last_arrival_us() - start) / 1e6;
    for (std::size_t i = 0; i < watched.size(); ++i)
        t.cpu_us_per_message[watched[i].name] =
            (cpu_seconds(watched[i].pid) - cpu_before[i]) * 1e6 /
            static_cast<double>(std::max<uint64_t>(1, t.arrived));
    return t;
}

// One untimed message from every client of `fleet`: hubgate writes a device's file when it sends
// for the first time (once per device, ever), which is not forwarding cost. True when all of
// them arrived (`arrived()` counts since any time before).
bool warm_up(PublisherFleet& fleet, const std::function<uint64_t()>& arrived) {
    const uint64_t base = arrived();
    return run_throughput(
               fleet, 1, 100, [&] { return arrived() - base; }, [] { return now_us(); }, {})
        .complete();
}

// hubsim's enqueuedTime ("2026-11-26T14:30:00.123Z") in ms since the epoch.
int64_t enqueued_ms(const std::string& text) {
    std::tm utc{};
    int ms = 0;
    if (std::sscanf(text.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &utc.tm_year, &utc.tm_mon, &utc.tm_mday,
                    &utc.tm_hour, &utc.tm_min, &utc.tm_sec, &ms) != 7)
        return 0;
    utc.tm_year -= 1900;
    utc.tm_mon -= 1;
    return static_cast<int64_t>(timegm(&utc)) * 1000 + ms;
}

struct LatencyPercentiles {
    double p50 = NAN, p99 = NAN, p999 = NAN;
    std::size_t samples = 0;
};

LatencyPercentiles percentiles_ms(std::vector<double> ms) {
    LatencyPercentiles p;
    p.samples = ms.size();
    p.p50 = quantile(ms, 0.5);
    p.p99 = quantile(ms, 0.99);
    p.p999 = quantile(ms, 0.999);
    return p;
}

json to_json(const LatencyPercentiles& p) {
    return json{{"p50_ms", p.p50}, {"p99_ms", p.p99}, {"p999_ms", p.p999}, {"samples", p.samples}};
}

// Paced publish of `seconds` at `rate` from `fleet`.
void publish_paced(PublisherFleet& fleet, double rate, std::size_t payload_size) {
    const int per_client =
        std::max(1, static_cast<int>(rate * kLatencySeconds / static_cast<double>(fleet.size())));
    fleet.publish(
        {.per_client = per_client,
         .payload_size = payload_size,
         .window = kPublisherWindow,
         .rate = rate,
         .timeout = std::chrono::duration_cast<std::chrono::milliseconds>(kArrivalTimeout)});
}

// Latencies (ms) of hubsim's telemetry records after sequence `after`: enqueued time (hubsim's
// clock, whole ms) minus the send time in the payload.
std::vector<double> hub_latencies_ms(const HubsimFixture& hub, uint64_t after, uint64_t expected) {
    const auto until = std::chrono::steady_clock::now() + kArrivalTimeout;
    while (hub_telemetry_count(hub) < after + expected && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(kPollEvery);
    const auto answer = hub.telemetry(after, 0s);
    std::vector<double> ms;
    for (const auto& record : answer.body.at("messages")) {
        const std::string payload = record.value("payload", "");
        const auto sent = payload_send_time_us(payload.data(), payload.size());
        if (sent)
            ms.push_back(static_cast<double>(enqueued_ms(record.at("enqueuedTime"))) -
                         static_cast<double>(*sent) / 1000.0);
    }
    return ms;
}

std::vector<double> sink_latencies_ms(Sink& sink, uint64_t target) {
    const auto until = std::chrono::steady_clock::now() + kArrivalTimeout;
    while (sink.received() < target && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(kPollEvery);
    std::vector<double> ms;
    for (const int64_t us : sink.take_latencies())
        ms.push_back(static_cast<double>(us) / 1000.0);
    return ms;
}

// What the spool's group commit waits for: `kSyncProbes` appends of 100 B to a file in `folder`,
// each followed by fdatasync, timed one by one (ms).
LatencyPercentiles fdatasync_ms(const std::filesystem::path& folder) {
    const auto path = folder / "fdatasync-probe";
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0)
        throw std::runtime_error("cannot open " + path.string());
    const std::string record(100, 'x');
    std::vector<double> ms;
    for (int i = 0; i < kSyncProbes; ++i) {
        const int64_t start = now_us();
        if (::write(fd, record.data(), record.size()) != static_cast<ssize_t>(record.size()) ||
            ::fdatasync(fd) != 0) {
            ::close(fd);
            throw std::runtime_error("cannot append to " + path.string());
        }
        ms.push_back(static_cast<double>(now_us() - start) / 1000.0);
    }
    ::close(fd);
    std::filesystem::remove(path);
    return percentiles_ms(std::move(ms));
}

// `text` left-aligned in `width` columns; printf's %-Ns counts bytes, and "→" is three.
std::string padded(const std::string& text, std::size_t width) {
    std::size_t columns = 0;
    for (const char c : text)
        columns += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
    return text + std::string(width > columns ? width - columns : 0, ' ');
}

double ratio(double a, double b) {
    return b > 0 ? a / b : 0.0;
}

}  // namespace

int main(int argc, char** argv) {
    const std::string json_path = json_path_from_args(argc, argv, "bench_forwarding");
    kill_children_on_signal();
    raise_open_files_limit();
    try {
        ScratchDir dir("hubgate-bench-forwarding");
        const auto cert = make_test_certificate(dir, kFarEndHubName);
        const int max_devices = kDeviceCounts[std::size(kDeviceCounts) - 1];

        std::vector<std::string> devices;
        hubgate::test::HubsimOptions hub_options{.ready_timeout = 60s};
        for (int i = 0; i < max_devices; ++i) {
            devices.push_back(device_id(i));
            hub_options.devices.push_back({.id = devices.back()});
        }
        for (int i = 0; i < kDirectDevices; ++i)
            hub_options.devices.push_back({.id = "direct" + std::to_string(i)});
        hub_options.policies.push_back({"device", "", {"DeviceConnect"}});
        HubsimFixture hub(hub_options);
        watch_child(hub.process().pid());

        // hubgate with every bench device connected up front, so runs measure forwarding only.
        Broker local_hubgate(dir, "local-hubgate");
        auto hubgate = start_hubgate(
            dir, hub,
            {.local_port = local_hubgate.port(), .startup_devices = devices, .connect_rate = 2000});
        const auto sessions_until = std::chrono::steady_clock::now() + 120s;
        while (hub_connected_count(hub) < max_devices) {
            if (std::chrono::steady_clock::now() > sessions_until)
                throw std::runtime_error("hubgate's sessions did not all connect");
            std::this_thread::sleep_for(200ms);
        }

        // The bridge: local broker → far end over TLS; a subscriber counts at the far end.
        Broker far(dir, "far", &cert);
        Broker local_bridge(dir, "local-bridge", nullptr,
                            bridge_connection(far.tls_port(), cert.cert_file));
        Sink far_sink({far.port(), ""}, {"bench-far-sink", "far/#", "", ""});
        Sink ceiling_sink({local_bridge.port(), ""}, {"bench-ceiling-sink", "ceil/#", "", ""});

        // A second hubgate whose sessions go to the same plain far end (any key signs tokens
        // there: it checks none). Its sessions come up during its warm-up below.
        ScratchDir plain_dir("hubgate-bench-forwarding-plain");
        Broker local_plain(plain_dir, "local-plain");
        auto hubgate_plain = start_hubgate(
            plain_dir,
            HubEndpoint{kFarEndHubName, far.tls_port(), cert.cert_file,
                        HubsimFixture::random_key()},
            {.local_port = local_plain.port(), .startup_devices = devices, .connect_rate = 2000});
        Sink plain_sink({far.port(), ""},
                        {"bench-plain-sink", "devices/+/messages/events/#", "", ""});
        if (!far_sink.start(10s) || !ceiling_sink.start(10s) || !plain_sink.start(10s))
            throw std::runtime_error("a counting subscriber did not subscribe");
        {
            // Wait (bounded) for the bridge to be up: probes until one crosses.
            PublisherFleet probe({local_bridge.port(), ""},
                                 {{"bench-probe", "bridge/probe", "", ""}});
            if (!probe.connect(10s))
                throw std::runtime_error("probe did not connect");
            const auto until = std::chrono::steady_clock::now() + 20s;
            while (far_sink.received() == 0) {
                if (std::chrono::steady_clock::now() > until)
                    throw std::runtime_error("the mosquitto bridge did not come up");
                probe.publish({.per_client = 1, .payload_size = 10});
                std::this_thread::sleep_for(100ms);
            }
        }

        std::printf(
            "forwarding: QoS 1, publishers as fast as the local broker acknowledges "
            "(window %d per client)\n",
            kPublisherWindow);
        json throughput_json = json::array();
        struct Row {
            int devices;
            std::size_t size;
            Throughput hubgate, plain, bridge;
        };
        std::vector<Row> rows;
        std::map<std::size_t, Throughput> ceilings;
        // BENCH_LATENCY_ONLY=<msg/s>: only the latency runs, paced at that rate (for tracing
        // them: BENCHMARKS.md, "Tracing the added latency").
        const char* latency_only = std::getenv("BENCH_LATENCY_ONLY");
        const double fixed_rate = latency_only != nullptr ? std::atof(latency_only) : 0.0;

        for (const std::size_t size : kPayloadSizes) {
            if (fixed_rate > 0)
                break;
            PublisherFleet fleet({local_bridge.port(), ""}, legacy_clients("ceil-", 100, [](int i) {
                                     return "ceil/" + device_id(i);
                                 }));
            if (!fleet.connect(30s))
                throw std::runtime_error("ceiling publishers did not connect");
            const uint64_t base = ceiling_sink.received();
            ceilings[size] = run_throughput(
                fleet, messages_for(size) / 100, size,
                [&] { return ceiling_sink.received() - base; },
                [&] { return ceiling_sink.last_arrival_us(); },
                {{"local_broker", local_bridge.pid()}});
        }

        for (const int n : kDeviceCounts) {
            if (fixed_rate > 0)
                break;
            PublisherFleet to_hubgate({local_hubgate.port(), ""},
                                      legacy_clients("legacy-hg-", n, [&](int i) {
                                          return local_topic(devices[static_cast<std::size_t>(i)]);
                                      }));
            PublisherFleet to_plain({local_plain.port(), ""},
                                    legacy_clients("legacy-pl-", n, [&](int i) {
                                        return local_topic(devices[static_cast<std::size_t>(i)]);
                                    }));
            PublisherFleet to_bridge(
                {local_bridge.port(), ""},
                legacy_clients("legacy-br-", n, [](int i) { return "bridge/" + device_id(i); }));
            if (!to_hubgate.connect(60s) || !to_plain.connect(60s) || !to_bridge.connect(60s))
                throw std::runtime_error("legacy publishers did not connect");
            if (!warm_up(to_hubgate, [&] { return hub_telemetry_count(hub); }) ||
                !warm_up(to_plain, [&] { return plain_sink.received(); }) ||
                !warm_up(to_bridge, [&] { return far_sink.received(); }))
                throw std::runtime_error("warm-up messages did not all arrive");
            for (const std::size_t size : kPayloadSizes) {
                const int per_client = std::max(1, messages_for(size) / n);
                Row row{n, size, {}, {}, {}};
                const uint64_t hub_base = hub_telemetry_count(hub);
                int64_t hub_done_us = 0;
                row.hubgate = run_throughput(
                    to_hubgate, per_client, size,
                    [&] {
                        const uint64_t arrived = hub_telemetry_count(hub) - hub_base;
                        hub_done_us = now_us();
                        return arrived;
                    },
                    [&] { return hub_done_us; },
                    {{"hubgate", hubgate->pid()},
                     {"local_broker", local_hubgate.pid()},
                     {"hubsim", hub.process().pid()}});
                const uint64_t plain_base = plain_sink.received();
                row.plain = run_throughput(
                    to_plain, per_client, size, [&] { return plain_sink.received() - plain_base; },
                    [&] { return plain_sink.last_arrival_us(); },
                    {{"hubgate", hubgate_plain->pid()},
                     {"local_broker", local_plain.pid()},
                     {"far_end", far.pid()}});
                const uint64_t far_base = far_sink.received();
                row.bridge = run_throughput(
                    to_bridge, per_client, size, [&] { return far_sink.received() - far_base; },
                    [&] { return far_sink.last_arrival_us(); },
                    {{"local_broker_with_bridge", local_bridge.pid()}, {"far_end", far.pid()}});
                rows.push_back(row);
                std::printf(
                    "  %5d devices %5zu B: hubgate→hubsim %8.0f msg/s%s  hubgate→plain %8.0f "
                    "msg/s%s  bridge %8.0f msg/s%s\n",
                    n, size, row.hubgate.rate(), row.hubgate.complete() ? "" : " (lost!)",
                    row.plain.rate(), row.plain.complete() ? "" : " (lost!)", row.bridge.rate(),
                    row.bridge.complete() ? "" : " (lost!)");
                std::fflush(stdout);
            }
        }

        // Latency at half of hubgate's 100-device, 100 B saturation rate.
        double saturation = 0;
        for (const auto& row : rows)
            if (row.devices == kLatencyDevices && row.size == 100)
                saturation = row.hubgate.rate();
        const double paced_rate = fixed_rate > 0 ? fixed_rate : std::max(100.0, saturation / 2);
        // `sink`: where arrivals are timed; none: hubsim's telemetry records.
        const auto run_latency = [&](PublisherFleet& fleet, Sink* sink) {
            if (sink == nullptr) {
                const uint64_t base = hub_telemetry_count(hub);
                const uint64_t expected = static_cast<uint64_t>(
                    std::max(1, static_cast<int>(paced_rate * kLatencySeconds / kLatencyDevices)) *
                    kLatencyDevices);
                publish_paced(fleet, paced_rate, 100);
                return percentiles_ms(hub_latencies_ms(hub, base, expected));
            }
            const uint64_t target =
                sink->received() +
                static_cast<uint64_t>(
                    std::max(1, static_cast<int>(paced_rate * kLatencySeconds / kLatencyDevices)) *
                    kLatencyDevices);
            sink->take_latencies();
            sink->record_latency(true);
            publish_paced(fleet, paced_rate, 100);
            auto p = percentiles_ms(sink_latencies_ms(*sink, target));
            sink->record_latency(false);
            return p;
        };
        PublisherFleet lat_hubgate({local_hubgate.port(), ""},
                                   legacy_clients("lat-hg-", kLatencyDevices, [&](int i) {
                                       return local_topic(devices[static_cast<std::size_t>(i)]);
                                   }));
        PublisherFleet lat_plain({local_plain.port(), ""},
                                 legacy_clients("lat-pl-", kLatencyDevices, [&](int i) {
                                     return local_topic(devices[static_cast<std::size_t>(i)]);
                                 }));
        std::vector<ClientSpec> direct_specs;
        for (int i = 0; i < kDirectDevices; ++i) {
            const std::string id = "direct" + std::to_string(i);
            direct_specs.push_back({id, "devices/" + id + "/messages/events/",
                                    hub.device_username(id), hub.device_token(id)});
        }
        PublisherFleet lat_direct_hub({hub.mqtts_port(), hub.ca_file().string()}, direct_specs);
        PublisherFleet lat_bridge({local_bridge.port(), ""},
                                  legacy_clients("lat-br-", kLatencyDevices,
                                                 [](int i) { return "bridge/" + device_id(i); }));
        PublisherFleet lat_direct_far({far.tls_port(), cert.cert_file},
                                      legacy_clients("lat-far-", kLatencyDevices,
                                                     [](int i) { return "far/" + device_id(i); }));
        for (PublisherFleet* fleet :
             {&lat_hubgate, &lat_plain, &lat_direct_hub, &lat_bridge, &lat_direct_far})
            if (!fleet->connect(60s))
                throw std::runtime_error("latency publishers did not connect");
        if (fixed_rate > 0) {
            // The throughput runs usually give hubgate time to finish its start-up twin GETs
            // (paced at 100/s, each document written with fsync): here they are waited for.
            const auto desired = dir.path() / "state" / "desired";
            const auto twins_until = std::chrono::steady_clock::now() + 60s;
            const auto kept = [&] {
                std::error_code ec;
                auto it = std::filesystem::directory_iterator(desired, ec);
                return ec ? 0 : std::distance(it, std::filesystem::directory_iterator{});
            };
            while (kept() < max_devices && std::chrono::steady_clock::now() < twins_until)
                std::this_thread::sleep_for(200ms);
            // The throughput runs' warm-up did not run.
            if (!warm_up(lat_hubgate, [&] { return hub_telemetry_count(hub); }) ||
                !warm_up(lat_plain, [&] { return plain_sink.received(); }))
                throw std::runtime_error("warm-up messages did not all arrive");
        }
        // The disk first, on its own: a batch's fdatasync is what a local PUBACK waits for.
        const auto disk_sync = fdatasync_ms(dir.path());
        const auto via_hubgate = run_latency(lat_hubgate, nullptr);
        const auto direct_hub = run_latency(lat_direct_hub, nullptr);
        const auto via_plain = run_latency(lat_plain, &plain_sink);
        const auto via_bridge = run_latency(lat_bridge, &far_sink);
        const auto direct_far = run_latency(lat_direct_far, &far_sink);

        // Summary.
        std::printf(
            "\nforwarding throughput (msg/s delivered at the far end; QoS 1); plain = hubgate's "
            "sessions to the bridge's far end, a plain TLS mosquitto\n");
        std::printf("  %7s %6s  %8s  %8s  %8s  %14s  %16s  %15s  %14s  %10s  %9s  %8s\n", "devices",
                    "bytes", "hubgate", "plain", "bridge", "ratio hub/pln", "ceiling hub/pln",
                    "hubgate CPU µs", "hubgate µs pln", "bridge µs", "hubsim µs", "far µs");
        for (const auto& row : rows) {
            const double ceiling = ceilings[row.size].rate();
            const double bridge = row.bridge.rate();
            std::printf(
                "  %7d %6zu  %8.0f  %8.0f  %8.0f  %6.2f / %5.2f  %6.0f%% / %5.0f%%  %15.1f  "
                "%14.1f  %10.1f  %9.1f  %8.1f\n",
                row.devices, row.size, row.hubgate.rate(), row.plain.rate(), bridge,
                ratio(row.hubgate.rate(), bridge), ratio(row.plain.rate(), bridge),
                100.0 * ratio(row.hubgate.rate(), ceiling),
                100.0 * ratio(row.plain.rate(), ceiling),
                row.hubgate.cpu_us_per_message.at("hubgate"),
                row.plain.cpu_us_per_message.at("hubgate"),
                row.bridge.cpu_us_per_message.at("local_broker_with_bridge"),
                row.hubgate.cpu_us_per_message.at("hubsim"),
                row.bridge.cpu_us_per_message.at("far_end"));
            throughput_json.push_back(
                json{{"devices", row.devices},
                     {"payload_bytes", row.size},
                     {"hubgate", to_json(row.hubgate)},
                     {"hubgate_plain_far_end", to_json(row.plain)},
                     {"bridge", to_json(row.bridge)},
                     {"ratio_hubgate_to_bridge", ratio(row.hubgate.rate(), bridge)},
                     {"ratio_hubgate_plain_to_bridge", ratio(row.plain.rate(), bridge)},
                     {"fraction_of_ceiling", ratio(row.hubgate.rate(), ceiling)},
                     {"fraction_of_ceiling_plain", ratio(row.plain.rate(), ceiling)}});
        }
        json ceiling_json = json::object();
        for (const auto& [size, t] : ceilings) {
            std::printf(
                "  local broker ceiling, %zu B, 100 publishers → 1 subscriber: %.0f msg/s\n", size,
                t.rate());
            ceiling_json[std::to_string(size)] = to_json(t);
        }
        std::printf(
            "\nadded latency at %.0f msg/s (half of hubgate's %d-device 100 B rate to hubsim), "
            "%d devices, 100 B, %.0f s\n",
            paced_rate, kLatencyDevices, kLatencyDevices, kLatencySeconds);
        std::printf("  %-34s %9s %9s %9s %8s\n", "path (ms)", "p50", "p99", "p99.9", "samples");
        const auto print = [](const char* name, const LatencyPercentiles& p) {
            std::printf("  %s %9.2f %9.2f %9.2f %8zu\n", padded(name, 34).c_str(), p.p50, p.p99,
                        p.p999, p.samples);
        };
        const auto minus = [](const LatencyPercentiles& a, const LatencyPercentiles& b) {
            return LatencyPercentiles{a.p50 - b.p50, a.p99 - b.p99, a.p999 - b.p999, 0};
        };
        print("legacy → hubgate → hubsim", via_hubgate);
        print("device → hubsim (direct)", direct_hub);
        print("legacy → hubgate → plain far end", via_plain);
        print("legacy → bridge → far end", via_bridge);
        print("client → far end (direct)", direct_far);
        const LatencyPercentiles added_hubgate = minus(via_hubgate, direct_hub);
        const LatencyPercentiles added_plain = minus(via_plain, direct_far);
        const LatencyPercentiles added_bridge = minus(via_bridge, direct_far);
        print("added by hubgate (to hubsim)", added_hubgate);
        print("added by hubgate (to plain far end)", added_plain);
        print("added by the bridge", added_bridge);
        print("disk: append 100 B + fdatasync", disk_sync);
        std::printf(
            "  (hubsim stamps arrivals in whole ms: figures to hubsim are ±1 ms; the disk line is "
            "%d syncs in the spool's folder, before the runs)\n",
            kSyncProbes);

        // Goals at 1,000 devices, per far end: ratio ≥ 1.0, ≥ 70% of the ceiling, p99 ≤ 5 ms.
        const auto goals = [&](const char* ratio_key, const char* ceiling_key,
                               const LatencyPercentiles& added) {
            bool met = added.p99 <= 5.0;
            for (const auto& entry : throughput_json)
                if (entry["devices"] == 1000)
                    met = met && entry[ratio_key].get<double>() >= 1.0 &&
                          entry[ceiling_key].get<double>() >= 0.7;
            return met;
        };
        const bool goals_hubsim =
            goals("ratio_hubgate_to_bridge", "fraction_of_ceiling", added_hubgate);
        const bool goals_plain =
            goals("ratio_hubgate_plain_to_bridge", "fraction_of_ceiling_plain", added_plain);
        std::printf(
            "\ngoals (ratio ≥ 1.0 and ≥ 70%% of ceiling at 1,000 devices, added p99 ≤ 5 ms): "
            "to hubsim %s; to the plain far end %s\n",
            goals_hubsim ? "met" : "NOT met", goals_plain ? "met" : "NOT met");
        write_json(json_path, json{{"benchmark", "forwarding"},
                                   {"throughput", throughput_json},
                                   {"local_broker_ceiling", ceiling_json},
                                   {"latency",
                                    {{"rate_msg_per_s", paced_rate},
                                     {"devices", kLatencyDevices},
                                     {"seconds", kLatencySeconds},
                                     {"via_hubgate", to_json(via_hubgate)},
                                     {"direct_to_hubsim", to_json(direct_hub)},
                                     {"via_hubgate_plain_far_end", to_json(via_plain)},
                                     {"via_bridge", to_json(via_bridge)},
                                     {"direct_to_far_end", to_json(direct_far)},
                                     {"added_by_hubgate", to_json(added_hubgate)},
                                     {"added_by_hubgate_plain_far_end", to_json(added_plain)},
                                     {"added_by_bridge", to_json(added_bridge)},
                                     {"disk_fdatasync", to_json(disk_sync)}}},
                                   {"hubgate_rss_kib", vm_rss_kib(hubgate->pid())},
                                   {"goals_met_hubsim_far_end", goals_hubsim},
                                   {"goals_met_plain_far_end", goals_plain},
                                   {"goals_met", goals_hubsim && goals_plain}});
        hubgate_plain->stop();
        hubgate->stop();
    } catch (const std::exception& error) {
        std::fprintf(stderr, "bench_forwarding: %s\n", error.what());
        return 1;
    }
    return 0;
}
