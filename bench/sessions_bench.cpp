// Idle device sessions (issue 8, item 3): hubgate's resident memory with 0, 1,000 and 10,000
// idle TLS sessions to hubsim (sessions.startup_devices, no traffic), KiB per session, how fast
// 10,000 come up unpaced, and whether a connect_rate of 100/s holds (from hubsim's connection
// log, which stamps every accepted CONNECT). Prints a table, writes JSON (--json FILE); never
// fails because of speed or size.

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bench_env.hpp"

namespace {

using namespace hubgate::bench;
using hubgate::test::HubsimFixture;
using hubgate::test::ScratchDir;
using nlohmann::json;

constexpr int kMaxSessions = 10000;
constexpr int kPacedSessions = 1000;  // 10,000 at 100/s would take 100 s: 1,000 show the pace
constexpr double kPacedRate = 100;
constexpr double kUnpacedRate = 100000;  // connect_rate must be positive: "unpaced" = this
constexpr auto kSettle = 2s;             // after the last connect, before reading VmRSS

struct Phase {
    std::string name;
    int sessions = 0;
    double connect_rate = 0;
    long rss_kib = 0;
    double seconds_to_up = 0;   // first to last accepted CONNECT (hubsim's clock)
    double sessions_per_s = 0;  // (sessions - 1) / seconds_to_up
    int max_in_one_second = 0;  // most CONNECTs in any 1 s window
    bool all_up = false;
    std::map<std::string, int> events;         // hubsim's connection log during the phase, by kind
    std::map<std::string, int> retry_reasons;  // hubgate's session retries, by reason
    double wall_seconds_to_up = 0;  // hubgate started → hubsim reports all connected (polled)
    double hubgate_cpu_s = 0;       // CPU time hubgate used from start until all were up
    double hubsim_cpu_s = 0;        // the same for hubsim (its broker included)
};

json to_json(const Phase& p) {
    return json{
        {"name", p.name},
        {"sessions", p.sessions},
        {"connect_rate_setting", p.connect_rate},
        {"rss_kib", p.rss_kib},
        {"seconds_to_up", p.seconds_to_up},
        {"sessions_per_s", p.sessions_per_s},
        {"max_connects_in_1s", p.max_in_one_second},
        {"all_up", p.all_up},
        {"wall_seconds_to_up", p.wall_seconds_to_up},
        {"hub_events", p.events},
        {"hubgate_retries", p.retry_reasons},
        {"hubgate_cpu_s", p.hubgate_cpu_s},
        {"hubsim_cpu_s", p.hubsim_cpu_s},
        {"hubgate_cpu_ms_per_session", p.sessions > 0 ? p.hubgate_cpu_s * 1000 / p.sessions : 0.0},
        {"hubsim_cpu_ms_per_session", p.sessions > 0 ? p.hubsim_cpu_s * 1000 / p.sessions : 0.0}};
}

// The accepted CONNECTs hubsim logged at or after `since_ms` (epoch ms), sorted; `events`
// counts every kind of event logged since then (connect, disconnect, refused...).
std::vector<int64_t> connect_times_ms(const HubsimFixture& hub, int64_t since_ms,
                                      std::map<std::string, int>& events) {
    const auto answer = hub.connections();
    std::vector<int64_t> times;
    for (const auto& entry : answer.body.at("log")) {
        const int64_t t = entry.at("time_ms").get<int64_t>();
        if (t < since_ms)
            continue;
        const std::string event = entry.at("event");
        ++events[event +
                 (entry.value("reason", "").empty() ? "" : " (" + entry.value("reason", "") + ")")];
        if (event == "connect")
            times.push_back(t);
    }
    std::sort(times.begin(), times.end());
    return times;
}

// Where a failed phase's hubgate log goes: "<json path>.hubgate-<sessions>.log" (none without
// --json).
std::string g_log_prefix;

Phase run_phase(HubsimFixture& hub, int local_port, const std::vector<std::string>& devices,
                const std::string& name, int sessions, double rate) {
    Phase phase;
    phase.name = name;
    phase.sessions = sessions;
    phase.connect_rate = rate;
    ScratchDir dir("hubgate-bench-sessions");
    const double hubsim_cpu_before = cpu_seconds(hub.process().pid());
    const int64_t start_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
    auto hubgate = start_hubgate(
        dir, hub,
        {.local_port = local_port,
         .startup_devices = std::vector<std::string>(devices.begin(), devices.begin() + sessions),
         .connect_rate = rate});
    const auto until = std::chrono::steady_clock::now() + 60s +
                       std::chrono::seconds(static_cast<int>(sessions / std::min(rate, 100.0)));
    // Each poll makes hubsim build a JSON answer of every device and its connection log under
    // the lock its broker thread needs for every CONNECT: poll rarely when there are many.
    const auto poll_every = sessions > 1000 ? 2000ms : 100ms;
    const auto started = std::chrono::steady_clock::now();
    while (!(phase.all_up = hub_connected_count(hub) >= sessions) &&
           std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(poll_every);
    phase.wall_seconds_to_up =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    phase.hubgate_cpu_s = cpu_seconds(hubgate->pid());
    phase.hubsim_cpu_s = cpu_seconds(hub.process().pid()) - hubsim_cpu_before;
    std::this_thread::sleep_for(kSettle);
    phase.rss_kib = vm_rss_kib(hubgate->pid());
    if (sessions > 0) {
        std::map<std::string, int> events;
        const auto times = connect_times_ms(hub, start_ms, events);
        phase.events = events;
        if (!phase.all_up || static_cast<int>(times.size()) != sessions) {
            for (const auto& [event, count] : events)
                std::fprintf(stderr, "  %s: hubsim logged %d × %s\n", name.c_str(), count,
                             event.c_str());
            // "session ID: REASON; retrying in N ms", counted by reason.
            const std::string out = hubgate->output();
            std::map<std::string, int> reasons;
            for (auto at = out.find("; retrying"); at != std::string::npos;
                 at = out.find("; retrying", at + 1)) {
                const auto line = out.rfind('\n', at) + 1;
                const auto colon = out.find(": ", out.find("session ", line));
                if (colon != std::string::npos && colon < at)
                    ++reasons[out.substr(colon + 2, at - colon - 2)];
            }
            for (const auto& [reason, count] : reasons)
                std::fprintf(stderr, "  %s: hubgate retried %d × after: %s\n", name.c_str(), count,
                             reason.c_str());
            phase.retry_reasons = reasons;
            // Keep hubgate's log next to the results for a look at what failed.
            if (!g_log_prefix.empty())
                std::ofstream(g_log_prefix + ".hubgate-" + std::to_string(sessions) + ".log")
                    << out;
        }
        if (times.size() >= 2) {
            phase.seconds_to_up = static_cast<double>(times.back() - times.front()) / 1000.0;
            phase.sessions_per_s = phase.seconds_to_up > 0
                                       ? static_cast<double>(times.size() - 1) / phase.seconds_to_up
                                       : 0;
            std::size_t first = 0;
            for (std::size_t last = 0; last < times.size(); ++last) {
                while (times[last] - times[first] >= 1000)
                    ++first;
                phase.max_in_one_second =
                    std::max(phase.max_in_one_second, static_cast<int>(last - first + 1));
            }
        }
        if (static_cast<int>(times.size()) < sessions)
            std::fprintf(stderr, "  %s: hubsim logged %zu connects (its log keeps 10,000)\n",
                         name.c_str(), times.size());
    }
    hubgate->stop(30s);
    const auto gone_until = std::chrono::steady_clock::now() + 60s;
    while (hub_connected_count(hub) > 0 && std::chrono::steady_clock::now() < gone_until)
        std::this_thread::sleep_for(100ms);
    std::printf("  %-22s %6d sessions  VmRSS %8ld KiB%s\n", name.c_str(), sessions, phase.rss_kib,
                phase.all_up ? "" : "  (not all up!)");
    std::fflush(stdout);
    return phase;
}

}  // namespace

int main(int argc, char** argv) {
    const std::string json_path = json_path_from_args(argc, argv, "bench_sessions");
    kill_children_on_signal();
    g_log_prefix = json_path;
    raise_open_files_limit();
    try {
        std::vector<std::string> devices;
        hubgate::test::HubsimOptions hub_options{.ready_timeout = 120s};
        for (int i = 0; i < kMaxSessions; ++i) {
            devices.push_back(device_id(i));
            hub_options.devices.push_back({.id = devices.back()});
        }
        hub_options.policies.push_back({"device", "", {"DeviceConnect"}});
        HubsimFixture hub(hub_options);
        watch_child(hub.process().pid());
        ScratchDir broker_dir("hubgate-bench-sessions-broker");
        Broker local(broker_dir, "local");

        std::printf("sessions: idle TLS device sessions held by hubgate\n");
        const Phase none = run_phase(hub, local.port(), devices, "none", 0, kUnpacedRate);
        const Phase thousand =
            run_phase(hub, local.port(), devices, "1,000 unpaced", 1000, kUnpacedRate);
        const Phase paced = run_phase(hub, local.port(), devices, "1,000 paced at 100/s",
                                      kPacedSessions, kPacedRate);
        // 10,000 unpaced, as the issue asks. (With Paho sessions, 10,000 unpaced handshakes
        // queued beyond hubgate's 30 s connect timeout and never all came up; the old default
        // was 200/s.) BENCH_SESSIONS_RATE sets another pace for the 10,000-session phase.
        const char* rate_override = std::getenv("BENCH_SESSIONS_RATE");
        const double big_rate = rate_override != nullptr && std::atof(rate_override) > 0
                                    ? std::atof(rate_override)
                                    : kUnpacedRate;
        const Phase all =
            run_phase(hub, local.port(), devices,
                      big_rate >= kUnpacedRate
                          ? std::string("10,000 unpaced")
                          : "10,000 at " + std::to_string(static_cast<int>(big_rate)) + "/s",
                      kMaxSessions, big_rate);

        const auto per_session = [&](const Phase& p) {
            return p.sessions > 0 ? static_cast<double>(p.rss_kib - none.rss_kib) / p.sessions
                                  : 0.0;
        };
        std::printf("\n  %-22s %9s %10s %11s %12s %14s %16s %15s %10s\n", "sessions", "VmRSS KiB",
                    "KiB/session", "seconds up", "sessions/s", "max in any 1 s",
                    "hubgate CPU ms/ses", "hubsim CPU ms/ses", "wall s up");
        for (const Phase* p : {&none, &thousand, &all, &paced}) {
            const double n = std::max(1, p->sessions);
            std::printf("  %-22s %9ld %10.1f %11.2f %12.0f %14d %16.2f %15.2f %10.1f\n",
                        p->name.c_str(), p->rss_kib, per_session(*p), p->seconds_to_up,
                        p->sessions_per_s, p->max_in_one_second, p->hubgate_cpu_s * 1000 / n,
                        p->hubsim_cpu_s * 1000 / n, p->wall_seconds_to_up);
        }
        std::printf(
            "  (CPU ms/ses: CPU milliseconds per session brought up, process start-up included;\n"
            "   seconds up: hubsim's CONNECT log, which keeps 10,000 events; wall s up: hubgate\n"
            "   started until hubsim reported all connected, polled every 0.1 s, 2 s above "
            "1,000)\n");
        const bool memory_goal = all.all_up && per_session(all) <= 100.0;
        const bool rate_goal = all.all_up && all.sessions_per_s >= 500.0;
        // Held: the mean pace within 10% of the setting (hubsim stamps a CONNECT after its TLS
        // handshake, so handshakes finishing together bunch the 1 s windows).
        const bool pace_holds = paced.all_up && paced.sessions_per_s <= kPacedRate * 1.1 &&
                                paced.sessions_per_s >= kPacedRate * 0.9;
        std::printf(
            "  goals: ≤ 100 KiB per session at 10,000: %s; ≥ 500 sessions/s: %s; "
            "mean pace of 100/s holds: %s\n",
            memory_goal ? "met" : "NOT met", rate_goal ? "met" : "NOT met",
            pace_holds ? "yes" : "NO");
        json phases = json::array();
        for (const Phase* p : {&none, &thousand, &paced, &all}) {
            auto entry = to_json(*p);
            entry["kib_per_session"] = per_session(*p);
            phases.push_back(entry);
        }
        write_json(json_path, json{{"benchmark", "sessions"},
                                   {"phases", phases},
                                   {"goal_kib_per_session", 100},
                                   {"goal_sessions_per_s", 500},
                                   {"pace_holds", pace_holds},
                                   {"goals_met", memory_goal && rate_goal}});
    } catch (const std::exception& error) {
        std::fprintf(stderr, "bench_sessions: %s\n", error.what());
        return 1;
    }
    return 0;
}
