#include "chaos_run.hpp"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <stdexcept>
#include <thread>

#include <nlohmann/json.hpp>

#include "chaos_env.hpp"
#include "cloud_driver.hpp"
#include "device_fleet.hpp"
#include "fault_schedule.hpp"
#include "harness/process.hpp"
#include "hub_reader.hpp"
#include "legacy_client.hpp"

namespace hubgate::chaos {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using namespace std::chrono_literals;

void say(const std::string& line) {
    std::printf("chaos: %s\n", line.c_str());
    std::fflush(stdout);
}

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// Everything the lanes share.
struct Run {
    Run(const RunOptions& options_in, ChaosEnv& env_in, Recorder& recorder_in, HubReader& reader_in,
        DeviceFleet& fleet_in)
        : options(options_in),
          env(env_in),
          recorder(recorder_in),
          reader(reader_in),
          fleet(fleet_in),
          start(Clock::now()) {}

    const RunOptions& options;
    ChaosEnv& env;
    Recorder& recorder;
    HubReader& reader;
    DeviceFleet& fleet;
    Clock::time_point start;
    std::mutex log_mutex;
    std::map<std::string, int> done;  // faults played, by kind
    int hubgate_unexpected_exits = 0;
    int64_t poison_sent = 0;  // marker messages published (their seqs are -1, -2, ...)
    // Disk-full windows: played, skipped (no spool filesystem), their length, and how hubgate's
    // status counters moved over them.
    int disk_full_windows = 0;
    int disk_full_skipped = 0;
    double disk_full_seconds = 0;
    int64_t status_disk_full = 0;
    int64_t status_full_events = 0;
    int64_t status_unreadable = 0;    // windows whose counters could not be read
    std::atomic<bool> broken{false};  // a part could not be (re)started: the run is void
    std::string why;

    void fail(const std::string& reason) {
        std::lock_guard lock(log_mutex);
        if (!broken.exchange(true)) {
            why = reason;
        }
    }

    void played(const Fault& fault) {
        std::lock_guard lock(log_mutex);
        ++done[to_string(fault.kind)];
        char line[160];
        std::snprintf(line, sizeof line, "%7.1fs %s %.1fs", seconds_since(start),
                      to_string(fault.kind), fault.duration.count() / 1000.0);
        say(line);
    }
};

// Sleeps until `at` after the start; on the process lane, restarts a hubgate that died by
// itself meanwhile (and counts it: the gateway must not crash under these faults).
void wait_until(Run& run, milliseconds at, bool watch_hubgate) {
    while (!run.broken && Clock::now() < run.start + at) {
        std::this_thread::sleep_for(100ms);
        if (watch_hubgate && !run.env.hubgate_running()) {
            ++run.hubgate_unexpected_exits;
            say("hubgate exited by itself; last output:\n" +
                run.env.hubgate_output().substr(run.env.hubgate_output().size() > 2000
                                                    ? run.env.hubgate_output().size() - 2000
                                                    : 0));
            run.env.start_hubgate();
        }
    }
}

void hub_outage(Run& run, milliseconds down) {
    auto& proxy = run.env.proxy();
    run.recorder.begin_hub_outage();
    proxy.hold();  // nothing new reaches the hub while what it has is read
    run.reader.drain();
    run.env.hub().stop();
    proxy.release();
    std::this_thread::sleep_for(down);
    run.env.hub().restart();
    run.reader.restarted();
    run.recorder.end_hub_outage();
}

// hubgate's status counters (an empty object while it cannot answer).
nlohmann::json status_counters(ChaosEnv& env) {
    const auto status = test::run({std::string(HUBGATE_BIN_DIR) + "/hubgate", "status", "--socket",
                                   (env.dir() / "control.sock").string(), "--json"},
                                  20s);
    const auto parsed = nlohmann::json::parse(status.output, nullptr, false);
    if (parsed.is_discarded() || !parsed.contains("counters") || !parsed["counters"].is_object()) {
        return nlohmann::json::object();
    }
    return parsed["counters"];
}

// What a thread stuck in a plugin hook makes hubgate log (gateway/liveness/stall_watch.cpp):
// the message routing thread, where uplink hooks run.
constexpr const char* kStuckLog = "watchdog: thread 'local link' is stuck";
// How long hubgate may take to die twice on a poison message and dead-letter it.
constexpr auto kPoisonCycleBound = 180s;

bool dead_lettered(ChaosEnv& env, const PoisonMessage& poison) {
    for (const auto& letter : env.dead_letters()) {
        if (letter.topic == poison.topic && letter.payload == poison.payload) {
            return true;
        }
    }
    return false;
}

// A poison-message or hanging-hook fault: a random device publishes one marker message that the
// poison plugin crashes (or hangs) on. hubgate dies on it (a hang is ended with kill -9 once
// hubgate logs the stuck thread, as systemd's watchdog would) and is restarted, as systemd
// would, until the message is in the dead-letter folder; each death is counted for the message.
void poison_message(Run& run, std::mt19937_64& draw, bool hang) {
    auto& env = run.env;
    const auto& ids = run.fleet.device_ids();
    PoisonMessage poison;
    poison.device = ids[draw() % ids.size()];
    poison.seq = -(++run.poison_sent);
    poison.payload = R"({"seq":)" + std::to_string(poison.seq) + R"(,"note":")" +
                     (hang ? "hang-me" : "crash-me") + R"("})";
    const auto dash = poison.device.find('-');
    poison.topic =
        "t/" + poison.device.substr(0, dash) + "/" + poison.device.substr(dash + 1) + "/telemetry";
    // In the ledger before it is published: the broker's acknowledgement marks it there.
    run.recorder.update([&](Ledger& ledger) { ledger.poison.push_back(poison); });
    run.fleet.publish_poison(poison.device, poison.seq, poison.payload);

    const auto began = Clock::now();
    int deaths = 0;
    bool kept = false;
    while (!run.broken && Clock::now() < began + kPoisonCycleBound) {
        if (!env.hubgate_running()) {
            ++deaths;
            env.start_hubgate_may_die(kStuckLog);
            continue;
        }
        if (hang && env.hubgate_said(kStuckLog)) {
            env.kill_hubgate();
            ++deaths;
            env.start_hubgate_may_die(kStuckLog);
            continue;
        }
        if (dead_lettered(env, poison)) {
            kept = true;
            break;
        }
        std::this_thread::sleep_for(100ms);
    }
    run.recorder.update([&](Ledger& ledger) {
        for (auto& entry : ledger.poison) {
            if (entry.seq == poison.seq) {
                entry.deaths = deaths;
            }
        }
    });
    char line[200];
    std::snprintf(line, sizeof line, "%7.1fs %s on %s: %d hubgate deaths, %s after %.1fs",
                  seconds_since(run.start), hang ? "hang-me" : "crash-me", poison.device.c_str(),
                  deaths, kept ? "dead-lettered" : "NOT dead-lettered",
                  std::chrono::duration<double>(Clock::now() - began).count());
    say(line);
}

// A disk-full window: the spool's filesystem is filled for `length` (kept full: hubgate deleting
// a finished segment gives space back), then the filler goes and space returns.
void disk_full(Run& run, milliseconds length) {
    auto& env = run.env;
    auto* disk = env.spool_disk();
    if (disk == nullptr) {
        ++run.disk_full_skipped;
        return;
    }
    const auto before = status_counters(env);
    const auto until = Clock::now() + length;
    const auto began = Clock::now();
    disk->fill();
    while (Clock::now() < until) {
        std::this_thread::sleep_for(200ms);
        disk->fill();
    }
    const auto after = status_counters(env);
    disk->release();
    ++run.disk_full_windows;
    run.disk_full_seconds += std::chrono::duration<double>(Clock::now() - began).count();
    if (before.empty() || after.empty()) {
        ++run.status_unreadable;
        return;
    }
    run.status_disk_full +=
        after.value("spool_disk_full", int64_t{0}) - before.value("spool_disk_full", int64_t{0});
    run.status_full_events += after.value("spool_full_events", int64_t{0}) -
                              before.value("spool_full_events", int64_t{0});
}

void play(Run& run, const Fault& fault, std::mt19937_64& draw) {
    auto& env = run.env;
    auto& hub = env.hub();
    auto& proxy = env.proxy();
    run.played(fault);
    switch (fault.kind) {
        case FaultKind::KillHubgate:
            env.kill_hubgate();
            std::this_thread::sleep_for(fault.duration);
            env.start_hubgate();
            break;
        case FaultKind::ReloadHubgate:
            env.reload_hubgate();
            break;
        case FaultKind::RestartBroker:
            env.stop_local_broker();
            std::this_thread::sleep_for(fault.duration);
            env.start_local_broker();
            break;
        case FaultKind::HubOutage:
            hub_outage(run, fault.duration);
            break;
        case FaultKind::Kick:
            for (int i = 0; i < fault.count; ++i) {
                const auto& ids = run.fleet.device_ids();
                hub.kick(ids[draw() % ids.size()]);
            }
            break;
        case FaultKind::TwinThrottle:
            hub.set_faults(
                {{"twinThrottleSeconds",
                  std::chrono::duration_cast<std::chrono::seconds>(fault.duration).count()}});
            std::this_thread::sleep_for(fault.duration);
            break;
        case FaultKind::RefuseConnects:
            hub.set_faults({{"refuseConnects", true}});
            std::this_thread::sleep_for(fault.duration);
            hub.set_faults({{"refuseConnects", false}});
            break;
        case FaultKind::PoisonMessage:
        case FaultKind::HangingHook:
            poison_message(run, draw, fault.kind == FaultKind::HangingHook);
            break;
        case FaultKind::DiskFull:
            disk_full(run, fault.duration);
            break;
        case FaultKind::Latency:
            proxy.set_latency(150ms);  // each way: +300 ms round trip
            std::this_thread::sleep_for(fault.duration);
            proxy.set_latency(0ms);
            break;
        case FaultKind::Loss:
            proxy.set_loss(0.05);
            std::this_thread::sleep_for(fault.duration);
            proxy.set_loss(0);
            break;
        case FaultKind::Blackhole:
            proxy.hold();
            std::this_thread::sleep_for(fault.duration);
            proxy.release();
            break;
    }
}

void play_lane(Run& run, const std::vector<Fault>& schedule, bool uplink_lane) {
    std::mt19937_64 draw(run.options.seed + (uplink_lane ? 2 : 1));
    try {
        for (const auto& fault : schedule) {
            if (is_uplink_fault(fault.kind) != uplink_lane) {
                continue;
            }
            wait_until(run, fault.at, !uplink_lane);
            if (run.broken) {
                return;
            }
            play(run, fault, draw);
        }
        wait_until(run, run.options.length, !uplink_lane);
    } catch (const std::exception& error) {
        run.fail(error.what());
    }
}

// Telemetry steps at the configured rate until `stop`.
void publish_loop(DeviceFleet& fleet, int per_second, const std::atomic<bool>& stop) {
    const auto period = std::chrono::duration_cast<Clock::duration>(1s) / std::max(per_second, 1);
    auto next = Clock::now();
    while (!stop) {
        fleet.step();
        next += period;
        std::this_thread::sleep_until(next);
    }
}

// Devices whose session is not connected at the hub (for the run's facts).
std::vector<std::string> disconnected_devices(const test::HubsimFixture& hub,
                                              const std::vector<std::string>& ids) {
    const auto reply = hub.connections();
    std::set<std::string> connected;
    if (reply.ok()) {
        for (const auto& device : reply.body.value("devices", test::json::array())) {
            if (device.value("connected", false)) {
                connected.insert(device.value("deviceId", ""));
            }
        }
    }
    std::vector<std::string> absent;
    for (const auto& id : ids) {
        if (!connected.contains(id)) {
            absent.push_back(id);
        }
    }
    return absent;
}

std::string first_few(const std::vector<std::string>& items, std::size_t count = 10) {
    std::string text;
    for (std::size_t i = 0; i < items.size() && i < count; ++i) {
        text += (i == 0 ? "" : " ") + items[i];
    }
    return items.size() > count ? text + " ..." : text;
}

std::size_t connected_devices(const test::HubsimFixture& hub) {
    const auto reply = hub.connections();
    std::size_t connected = 0;
    if (reply.ok()) {
        for (const auto& device : reply.body.value("devices", test::json::array())) {
            connected += device.value("connected", false) ? 1 : 0;
        }
    }
    return connected;
}

// Acknowledged telemetry not (yet) seen at the hub.
std::size_t owed_uplink(const Recorder& recorder) {
    const auto ledger = recorder.snapshot();
    std::set<std::pair<std::string, int64_t>> seen;
    for (const auto& message : ledger.hub_telemetry) {
        seen.insert({message.device, message.seq});
    }
    std::size_t owed = 0;
    for (const auto& [device, entry] : ledger.devices) {
        for (const auto seq : entry.telemetry_acked) {
            owed += seen.contains({device, seq}) ? 0 : 1;
        }
    }
    return owed;
}

// What the cloud sent in the final epoch and the device has not seen yet.
std::size_t owed_downlink(const Recorder& recorder) {
    const auto ledger = recorder.snapshot();
    std::size_t owed = 0;
    for (const auto& [device, entry] : ledger.devices) {
        const std::set<std::string> c2d(entry.c2d_seen.begin(), entry.c2d_seen.end());
        for (const auto& sent : entry.c2d_sent) {
            owed += sent.epoch == ledger.final_epoch && !c2d.contains(sent.id) ? 1 : 0;
        }
        if (!entry.desired_sent.empty() && entry.desired_sent.back().epoch == ledger.final_epoch) {
            const auto last = entry.desired_sent.back().dseq;
            owed += entry.desired_seen.empty() || entry.desired_seen.back() != last ? 1 : 0;
        }
    }
    return owed;
}

// Waits (bounded by `until`) for `owed()` to reach 0; returns what is still owed.
template <typename Owed>
std::size_t settle(Owed owed, Clock::time_point until) {
    std::size_t left = owed();
    while (left > 0 && Clock::now() < until) {
        std::this_thread::sleep_for(1s);
        left = owed();
    }
    return left;
}

// What hubgate's spool still holds, from `hubgate status` (1 while it cannot tell).
std::size_t spooled_messages(ChaosEnv& env) {
    const auto status = test::run({std::string(HUBGATE_BIN_DIR) + "/hubgate", "status", "--socket",
                                   (env.dir() / "control.sock").string(), "--json"},
                                  20s);
    const auto parsed = nlohmann::json::parse(status.output, nullptr, false);
    if (parsed.is_discarded() || !parsed.contains("counters")) {
        return 1;
    }
    return parsed["counters"].value("spool_messages", std::size_t{1});
}

// The retained desired message of every device, as a fresh subscriber of the local broker sees.
// With `dump` set, every message as received and hubgate's kept documents are written beside
// the results, for diagnosis.
void read_retained_desired(int local_port, Recorder& recorder, const std::filesystem::path& dump,
                           const std::filesystem::path& kept_dir) {
    test::LegacyClient fresh(local_port, "chaos-fresh-subscriber");
    const bool connected = fresh.wait_connected(10s);
    const bool subscribed = fresh.subscribe("t/+/+/config");
    if (!connected || !subscribed) {
        // Read nothing, every device would count as missing its document: the run is void.
        throw std::runtime_error(
            "the fresh subscriber could not read the retained desired "
            "messages (connected " +
            std::to_string(connected) + ", subscribed " + std::to_string(subscribed) + ")");
    }
    std::size_t count = 0;
    for (int quiet = 0; quiet < 3;) {
        std::this_thread::sleep_for(500ms);
        const auto now = fresh.received().size();
        quiet = now == count ? quiet + 1 : 0;
        count = now;
    }
    const auto received = fresh.received();
    recorder.update([&](Ledger& ledger) {
        for (const auto& message : received) {
            // t/{site}/{sensor}/config
            const auto second = message.topic.find('/', 2);
            const auto third = message.topic.find('/', second + 1);
            const auto device = message.topic.substr(2, second - 2) + "-" +
                                message.topic.substr(second + 1, third - second - 1);
            ledger.devices[device].desired_retained =
                nlohmann::json::parse(message.payload, nullptr, false);
        }
    });
    if (dump.empty()) {
        return;
    }
    std::ofstream out(dump);
    out << "fresh subscriber: " << received.size() << " messages\n";
    for (const auto& message : received) {
        out << message.topic << (message.retain ? " retained " : " live ") << message.payload
            << "\n";
    }
    std::error_code ec;
    for (const auto& file : std::filesystem::directory_iterator(kept_dir, ec)) {
        std::ifstream in(file.path());
        out << "kept " << file.path().filename().string() << " " << in.rdbuf() << "\n";
    }
}

void read_final_twins(const test::HubsimFixture& hub, const std::vector<std::string>& ids,
                      Recorder& recorder) {
    for (const auto& id : ids) {
        const auto twin = hub.get_twin(id);
        if (twin.ok()) {
            recorder.update([&](Ledger& ledger) { ledger.devices[id].final_twin = twin.body; });
        }
    }
}

std::size_t expired_tokens(const test::HubsimFixture& hub) {
    const auto reply = hub.connections();
    std::size_t expired = 0;
    if (reply.ok()) {
        for (const auto& event : reply.body.value("log", test::json::array())) {
            expired += event.value("event", "") == "expired" ? 1 : 0;
        }
    }
    return expired;
}

// Every telemetry message the hub received more than once with more than one $.mid, one line
// each ("device seq mid mid ..."), in the order of their first copy: a failed duplicate row's
// evidence, next to hubgate's log.
std::string duplicates_with_new_mid(const Ledger& ledger) {
    std::map<std::pair<std::string, int64_t>, std::vector<std::string>> mids;
    std::vector<std::pair<std::string, int64_t>> order;
    for (const auto& message : ledger.hub_telemetry) {
        auto& seen = mids[{message.device, message.seq}];
        if (seen.empty()) {
            order.emplace_back(message.device, message.seq);
        }
        seen.push_back(message.message_id);
    }
    std::string text;
    for (const auto& key : order) {
        const auto& seen = mids[key];
        if (std::set<std::string>(seen.begin(), seen.end()).size() < 2) {
            continue;
        }
        text += key.first + " " + std::to_string(key.second);
        for (const auto& mid : seen) {
            text += " " + mid;
        }
        text += "\n";
    }
    return text;
}

}  // namespace

RunOutcome run_chaos(const RunOptions& options) {
    const auto schedule = make_schedule({.seed = options.seed, .length = options.length});
    say("seed " + std::to_string(options.seed) + ", " + std::to_string(options.length.count()) +
        " s, " + std::to_string(options.devices) + " devices, " +
        std::to_string(options.messages_per_second) +
        " telemetry/s (replay: CHAOS_SEED=" + std::to_string(options.seed) +
        " CHAOS_SECONDS=" + std::to_string(options.length.count()) + ")");
    std::printf("%s", describe(schedule).c_str());

    Recorder recorder;
    std::vector<std::string> ids;
    for (int i = 0; i < options.devices; ++i) {
        ids.push_back("g" + std::to_string(i / 50) + "-s" + std::to_string(i % 50));
    }
    ChaosEnv env({.devices = ids,
                  .spool_disk_bytes = options.private_mounts ? options.spool_disk_bytes : 0});
    const std::string no_spool_disk =
        options.private_mounts ? env.spool_disk_refused() : options.private_mounts_refused;
    if (!no_spool_disk.empty()) {
        say("no filesystem of its own for the spool (" + no_spool_disk +
            "): disk-full windows are skipped");
    }
    env.start_hubgate();
    HubReader reader(env.hub(), recorder);
    DeviceFleet fleet(env.local_port(), options.devices, recorder);

    // Warm-up: one message per device opens every session before the clock starts.
    for (int i = 0; i < options.devices; ++i) {
        fleet.step();
    }
    const auto warm_until = Clock::now() + 120s;
    while (connected_devices(env.hub()) < ids.size() && Clock::now() < warm_until) {
        std::this_thread::sleep_for(500ms);
    }
    say(std::to_string(connected_devices(env.hub())) + " sessions connected; faults start");

    Run run(options, env, recorder, reader, fleet);
    std::atomic<bool> stop_publishing{false};
    std::thread publisher(
        [&] { publish_loop(fleet, options.messages_per_second, stop_publishing); });
    auto cloud =
        std::make_unique<CloudDriver>(env.hub(), ids, recorder, CloudOptions{.seed = options.seed});
    std::thread uplink_lane([&] { play_lane(run, schedule, true); });
    play_lane(run, schedule, false);
    uplink_lane.join();
    if (run.broken) {
        stop_publishing = true;
        publisher.join();
        cloud->stop();
        throw std::runtime_error("the run is void: " + run.why);
    }

    // Faults cleared; traffic stops; what is owed must now arrive.
    env.proxy().set_latency(0ms);
    env.proxy().set_loss(0);
    env.hub().set_faults({{"twinThrottleSeconds", 0}, {"refuseConnects", false}});
    stop_publishing = true;
    publisher.join();
    cloud->stop();
    const auto settle_until = Clock::now() + options.settle;
    // Publishes the local broker has not acknowledged yet count as owed too: once it does,
    // they must reach the hub.
    const auto uplink_owed =
        settle([&] { return fleet.unacknowledged() + owed_uplink(recorder); }, settle_until);
    const auto downlink_owed = settle([&] { return owed_downlink(recorder); }, settle_until);
    // Reported patches wait in the spool until the hub answered them, paced by the twin-update
    // limit (1,000 devices after a hub restart take a while): the twins are read once hubgate's
    // spool is empty, or the settle time is up.
    settle([&] { return spooled_messages(env); }, settle_until);
    read_final_twins(env.hub(), ids, recorder);
    recorder.update([&](Ledger& ledger) { ledger.dead_letters = env.dead_letters(); });
    read_retained_desired(env.local_port(), recorder,
                          options.results.empty()
                              ? std::filesystem::path()
                              : std::filesystem::path(options.results.string() + ".retained.txt"),
                          env.dir() / "state" / "desired");
    if (const char* hold = std::getenv("HUBGATE_CHAOS_HOLD_SECONDS")) {
        // Diagnosis by hand: the processes stay up (local broker on env.local_port()).
        std::cerr << "chaos: holding for " << hold
                  << " s; local broker on 127.0.0.1:" << env.local_port() << ", work dir "
                  << env.dir().string() << std::endl;
        std::this_thread::sleep_for(std::chrono::seconds(std::atoi(hold)));
    }
    const auto tokens_expired = expired_tokens(env.hub());
    const auto disconnected_at_end = disconnected_devices(env.hub(), ids);
    // The gateway's own view of its sessions, kept next to the results for diagnosis.
    const auto status = test::run({std::string(HUBGATE_BIN_DIR) + "/hubgate", "status", "--socket",
                                   (env.dir() / "control.sock").string(), "--json"},
                                  20s);
    if (!options.results.empty()) {
        std::ofstream(options.results.string() + ".status.json") << status.output;
        std::ofstream(options.results.string() + ".hubgate.log") << env.hubgate_output();
        std::ofstream(options.results.string() + ".broker.log") << env.broker_output();
    }

    RunOutcome outcome;
    const auto ledger = recorder.snapshot();
    if (!options.results.empty()) {
        std::ofstream(options.results.string() + ".new-mid-duplicates.txt")
            << duplicates_with_new_mid(ledger);
    }
    outcome.rows = check_invariants(ledger);
    std::string facts;
    facts += "seed " + std::to_string(options.seed) + ", " +
             std::to_string(options.length.count()) + " s of faults, " +
             std::to_string(options.devices) + " devices, settle " +
             std::to_string(static_cast<int>(seconds_since(run.start))) + " s in all\n";
    facts += "faults played:";
    for (const auto& [kind, count] : run.done) {
        facts += " " + kind + " x" + std::to_string(count);
    }
    facts +=
        "\nhubgate exits not caused by the test: " + std::to_string(run.hubgate_unexpected_exits) +
        "\n";
    facts += "hub epochs (hubsim restarts): " + std::to_string(ledger.final_epoch) + "\n";
    facts += "device publishes: " + std::to_string(fleet.published()) +
             ", never acknowledged by the local broker: " + std::to_string(fleet.unacknowledged()) +
             "\n";
    facts += "hub telemetry copies read: " + std::to_string(reader.received()) +
             ", twin GET answers: " + std::to_string(fleet.twin_responses()) + "\n";
    facts += "cloud: " + std::to_string(cloud->c2d_accepted()) + " C2D, " +
             std::to_string(cloud->desired_accepted()) + " desired patches accepted, " +
             std::to_string(cloud->calls()) + " method calls\n";
    std::string deaths;
    for (const auto& poison : ledger.poison) {
        deaths += (deaths.empty() ? "" : ",") + std::to_string(poison.deaths);
    }
    facts += "poison messages: " + std::to_string(ledger.poison.size()) +
             ", hubgate deaths each: " + (deaths.empty() ? std::string("-") : deaths) +
             "; watchdog pings received: " + std::to_string(env.watchdog_pings()) + "\n";
    char window_seconds[32];
    std::snprintf(window_seconds, sizeof window_seconds, "%.1f", run.disk_full_seconds);
    facts += "spool disk-full windows: " + std::to_string(run.disk_full_windows) + ", " +
             window_seconds + " s in all; hubgate status over them: spool_disk_full +" +
             std::to_string(run.status_disk_full) + ", spool_full_events +" +
             std::to_string(run.status_full_events);
    if (run.status_unreadable > 0) {
        facts += " (" + std::to_string(run.status_unreadable) + " windows unreadable)";
    }
    if (run.disk_full_skipped > 0) {
        facts += "; " + std::to_string(run.disk_full_skipped) + " skipped: " + no_spool_disk;
    }
    facts += "\n";
    facts += "token expiries seen by the last hub: " + std::to_string(tokens_expired) +
             "; proxy connections: " + std::to_string(env.proxy().connections()) + "\n";
    facts +=
        "sessions connected at the end: " +
        std::to_string(ids.size() - disconnected_at_end.size()) + " of " +
        std::to_string(ids.size()) +
        (disconnected_at_end.empty() ? std::string() : "; not: " + first_few(disconnected_at_end)) +
        "\n";
    facts +=
        "unacknowledged by the local broker, per client: " + fleet.unacknowledged_by_group() + "\n";
    facts += "still owed after settling: uplink " + std::to_string(uplink_owed) + ", downlink " +
             std::to_string(downlink_owed) + "\n";
    outcome.report = facts + "\n" + format_table(outcome.rows);
    std::printf("\n%s\n", outcome.report.c_str());
    if (!options.results.empty()) {
        std::ofstream(options.results) << outcome.report;
        say("results written to " + options.results.string());
    }
    return outcome;
}

}  // namespace hubgate::chaos
