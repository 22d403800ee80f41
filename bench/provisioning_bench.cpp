// Onboarding a fleet through DPS (issue 16): N new legacy devices (none in hubsim's registry; one
// enrollment group, [provisioning] mode = "dps-symmetric-key"), each publishing once on the local
// broker to a hubgate started cold. Measures the time until all N are connected to the hub and
// their first messages arrived, in two runs: hubsim's DPS quota at the real service's published
// limit, and unlimited. Prints registrations per second, their ratio to the quota, where the
// time goes, the 429s DPS answered, and whether hubgate's connections to DPS are closed once the
// devices are assigned (the DPS client must not cost idle memory). Writes JSON (--json FILE);
// never fails because of speed.
//
// BENCH_PROVISION_DEVICES sets N (default 1,000: 5 minutes at the quota);
// BENCH_PROVISION_RATE sets hubgate's provisioning.registration_rate for the quota run (default:
// hubgate's default, as an operator gets it).

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bench_env.hpp"
#include "harness/listening_sockets.hpp"
#include "mqtt_clients.hpp"

namespace {

using namespace hubgate::bench;
using hubgate::test::HubsimFixture;
using hubgate::test::ScratchDir;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

// Azure DPS quotas and limits (learn.microsoft.com/azure/iot-dps/about-iot-dps#quotas-and-limits):
// "Device registrations: 200 per minute per service unit".
constexpr double kDpsQuotaPerMinute = 200;
constexpr int kDefaultDevices = 1000;
// hubgate's own ceiling: the unlimited run lifts its pace too (registration_rate must be > 0).
constexpr double kUnpacedRegistrationRate = 1000;
// Polling hubsim builds a JSON answer of every registration and device: twice a second is enough
// against a phase of minutes, and costs little next to the registrations.
constexpr auto kPollEvery = 500ms;
constexpr const char* kIdScope = "0ne0000BE0C";

const char* const kMapping = R"toml(
[[devices]]
name = "new sensors"
id = "{dev}"
  [devices.uplink]
  "b/{dev}/telemetry" = { send = "telemetry" }
)toml";

struct Run {
    std::string name;
    int devices = 0;
    double quota_per_minute = 0;         // hubsim's [dps] registrations_per_minute; 0 = unlimited
    std::optional<double> hubgate_rate;  // provisioning.registration_rate; unset = the default
    // Seconds since hubgate was started (cold): each step once polled true.
    double ready_s = 0;           // subscribed to the local broker
    double published_s = 0;       // every device published its message (local PUBACKs)
    double first_assigned_s = 0;  // DPS assigned the first device
    double all_assigned_s = 0;
    double all_connected_s = 0;  // hubsim: every device connected
    double all_arrived_s = 0;    // hubsim: every device's first message received
    bool complete = false;
    int assigned = 0;
    int connected = 0;
    uint64_t registrations = 0;  // register requests DPS accepted into an operation
    uint64_t throttled = 0;      // 429 answers
    uint64_t refused_connects = 0;
    int dps_connections_max = 0;           // hubgate's open connections to DPS, most seen
    int dps_connections_all_assigned = 0;  // when the last device was assigned
    int dps_connections_idle = -1;         // once every device connected (polled to 0, bounded)
    long rss_kib = 0;                      // hubgate, once idle
    int threads = 0;                       // hubgate, once idle

    double registration_s() const { return all_assigned_s - published_s; }
    double registrations_per_s() const {
        return registration_s() > 0 ? devices / registration_s() : 0;
    }
};

json to_json(const Run& r) {
    return json{{"name", r.name},
                {"devices", r.devices},
                {"quota_per_minute", r.quota_per_minute},
                {"hubgate_registration_rate", r.hubgate_rate ? json(*r.hubgate_rate) : json()},
                {"complete", r.complete},
                {"ready_s", r.ready_s},
                {"published_s", r.published_s},
                {"first_assigned_s", r.first_assigned_s},
                {"all_assigned_s", r.all_assigned_s},
                {"all_connected_s", r.all_connected_s},
                {"all_arrived_s", r.all_arrived_s},
                {"registrations_per_s", r.registrations_per_s()},
                {"ratio_to_quota", r.quota_per_minute > 0
                                       ? json(r.registrations_per_s() / (r.quota_per_minute / 60))
                                       : json()},
                {"registrations", r.registrations},
                {"throttled_429", r.throttled},
                {"refused_connects", r.refused_connects},
                {"dps_connections_max", r.dps_connections_max},
                {"dps_connections_all_assigned", r.dps_connections_all_assigned},
                {"dps_connections_idle", r.dps_connections_idle},
                {"hubgate_rss_kib", r.rss_kib},
                {"hubgate_threads", r.threads}};
}

// "Threads:" of /proc/PID/status.
int thread_count(pid_t pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("Threads:", 0) == 0)
            return std::atoi(line.c_str() + 8);
    }
    return 0;
}

json dps_counters(const HubsimFixture& hub) {
    const auto answer = hub.request("GET", "/hubsim/dps");
    if (!answer.ok())
        throw std::runtime_error("hubsim /hubsim/dps: " + answer.text);
    return answer.body.at("counters");
}

std::unique_ptr<hubgate::test::Process> start_provisioning_hubgate(const ScratchDir& dir,
                                                                   HubsimFixture& hub,
                                                                   int local_port,
                                                                   const std::string& group_key,
                                                                   std::optional<double> rate) {
    const auto key_file = dir.write("group.key", group_key + "\n");
    ::chmod(key_file.c_str(), 0600);
    dir.write("mappings/sensors.toml", kMapping);
    const auto& d = dir.path();
    std::ostringstream conf;
    conf << "mappings = [\"" << (d / "mappings" / "*.toml").string() << "\"]\n"
         << "[hub]\nhostname = \"" << hub.hostname()
         << "\"\nconnect_host = \"127.0.0.1:" << hub.mqtts_port() << "\"\nca_file = \""
         << hub.ca_file().string() << "\"\n"
         << "[local]\nhost = \"127.0.0.1\"\nport = " << local_port
         << "\nclient_id = \"hubgate-bench\"\n"
         << "[sessions]\nconnect_seen_devices = false\n"
         << "[spool]\ndir = \"" << (d / "spool").string() << "\"\n"
         << "[state]\ndir = \"" << (d / "state").string() << "\"\n"
         << "[control]\nsocket = \"" << (d / "control.sock").string() << "\"\n"
         << "[log]\nlevel = \"info\"\n"
         << "[provisioning]\nmode = \"dps-symmetric-key\"\nid_scope = \"" << kIdScope
         << "\"\nconnect_host = \"127.0.0.1:" << hub.dps_port() << "\"\nca_file = \""
         << hub.ca_file().string() << "\"\ngroup_key_file = \"" << key_file.string() << "\"\n";
    if (rate)
        conf << "registration_rate = " << *rate << "\n";
    const auto config = dir.write("hubgate.toml", conf.str());
    auto process = std::make_unique<hubgate::test::Process>(std::vector<std::string>{
        std::string(HUBGATE_BIN_DIR) + "/hubgate", "run", "-c", config.string()});
    watch_child(process->pid());
    return process;
}

// Where a run's hubgate log goes when it did not complete: "<json path>.hubgate-<name>.log".
std::string g_log_prefix;

Run run_once(const std::string& name, int devices, double quota_per_minute,
             std::optional<double> hubgate_rate) {
    Run run;
    run.name = name;
    run.devices = devices;
    run.quota_per_minute = quota_per_minute;
    run.hubgate_rate = hubgate_rate;

    // A hubsim of its own per run: an empty registry, a full quota.
    const std::string group_key = HubsimFixture::random_key();
    std::ostringstream dps;
    dps << "[dps]\nid_scope = \"" << kIdScope
        << "\"\nregistrations_per_minute = " << quota_per_minute
        << "\n\n[[enrollment_groups]]\nid = \"new-sensors\"\nprimary_key = \"" << group_key
        << "\"\n";
    HubsimFixture hub({.extra_toml = dps.str(), .ready_timeout = 120s});
    watch_child(hub.process().pid());
    ScratchDir dir("hubgate-bench-provisioning");
    Broker local(dir, "local");

    std::vector<ClientSpec> clients;
    for (int i = 0; i < devices; ++i) {
        const auto id = device_id(i);
        clients.push_back({.client_id = "legacy-" + id, .topic = local_topic(id)});
    }
    PublisherFleet fleet({.port = local.port()}, clients);
    if (!fleet.connect(60s))
        throw std::runtime_error("the legacy devices did not connect to the local broker");

    const auto started = Clock::now();
    const auto since = [&] {
        return std::chrono::duration<double>(Clock::now() - started).count();
    };
    auto hubgate = start_provisioning_hubgate(dir, hub, local.port(), group_key, hubgate_rate);
    if (!hubgate->wait_for_output("subscribed to", 30s))
        throw std::runtime_error("hubgate did not subscribe:\n" + hubgate->output());
    run.ready_s = since();
    const auto published = fleet.publish({.per_client = 1, .payload_size = 100});
    if (!published.complete)
        throw std::runtime_error("the legacy devices' messages were not all acknowledged");
    run.published_s = since();

    // Bounded by progress: given up when nothing moved (devices assigned, connected) for two
    // minutes. (A fixed bound from the pace cut off the unlimited run on a loaded machine.)
    constexpr auto kStalled = 120s;
    auto last_progress = Clock::now();
    int progress = 0;  // assigned + connected, as last seen
    while (Clock::now() - last_progress < kStalled) {
        const auto counters = dps_counters(hub);
        run.assigned = counters.at("assigned").get<int>();
        run.connected = hub_connected_count(hub);
        if (run.assigned + run.connected > progress) {
            progress = run.assigned + run.connected;
            last_progress = Clock::now();
        }
        const int open = hubgate::test::established_connections_to(hub.dps_port());
        run.dps_connections_max = std::max(run.dps_connections_max, open);
        if (run.assigned > 0 && run.first_assigned_s == 0)
            run.first_assigned_s = since();
        if (run.assigned >= devices && run.all_assigned_s == 0) {
            run.all_assigned_s = since();
            run.dps_connections_all_assigned = open;
        }
        if (run.connected >= devices && run.all_connected_s == 0)
            run.all_connected_s = since();
        if (run.all_connected_s > 0 && hub_telemetry_count(hub) >= static_cast<uint64_t>(devices)) {
            run.all_arrived_s = since();
            break;
        }
        std::this_thread::sleep_for(kPollEvery);
    }
    run.complete = run.all_arrived_s > 0;
    const auto counters = dps_counters(hub);
    run.registrations = counters.at("registrations").get<uint64_t>();
    run.throttled = counters.at("throttled").get<uint64_t>();
    run.refused_connects = counters.at("refusedConnects").get<uint64_t>();

    // Idle: every device assigned and connected. Hubgate's connections to DPS should all be
    // closed by now; a registration's connection closes right after its last answer, so a
    // moment's grace (polled, 10 s at most) before calling an open one a leak.
    if (run.complete) {
        const auto grace_until = Clock::now() + 10s;
        while ((run.dps_connections_idle =
                    hubgate::test::established_connections_to(hub.dps_port())) > 0 &&
               Clock::now() < grace_until)
            std::this_thread::sleep_for(100ms);
    }
    run.rss_kib = vm_rss_kib(hubgate->pid());
    run.threads = thread_count(hubgate->pid());
    if (!run.complete) {
        std::fprintf(stderr, "  %s: %d of %d assigned, %d connected after %.0f s\n", name.c_str(),
                     run.assigned, devices, run.connected, since());
        if (!g_log_prefix.empty())
            std::ofstream(g_log_prefix + ".hubgate-" + name + ".log") << hubgate->output();
    }
    hubgate->stop(30s);
    std::printf("  %-26s %5d devices  all connected after %6.1f s  (%.2f registrations/s)%s\n",
                name.c_str(), devices, run.all_connected_s, run.registrations_per_s(),
                run.complete ? "" : "  (not complete!)");
    std::fflush(stdout);
    return run;
}

}  // namespace

int main(int argc, char** argv) {
    const std::string json_path = json_path_from_args(argc, argv, "bench_provisioning");
    kill_children_on_signal();
    g_log_prefix = json_path;
    raise_open_files_limit();
    const char* count_override = std::getenv("BENCH_PROVISION_DEVICES");
    const int devices = count_override != nullptr && std::atoi(count_override) > 0
                            ? std::atoi(count_override)
                            : kDefaultDevices;
    const char* rate_override = std::getenv("BENCH_PROVISION_RATE");
    std::optional<double> quota_run_rate;
    if (rate_override != nullptr && std::atof(rate_override) > 0)
        quota_run_rate = std::atof(rate_override);
    try {
        std::printf(
            "provisioning: %d new devices onboarded through DPS (dps-symmetric-key), hubgate "
            "cold\n",
            devices);
        std::fflush(stdout);
        const Run quota =
            run_once("DPS quota 200/min", devices, kDpsQuotaPerMinute, quota_run_rate);
        const Run unlimited = run_once("DPS unlimited", devices, 0, kUnpacedRegistrationRate);

        std::printf("\n  %-20s %8s %8s %9s %9s %9s %9s %8s %7s %6s %7s %7s\n", "run", "ready s",
                    "first a.", "all ass.", "all conn", "all msgs", "reg/s", "÷quota", "429s",
                    "DPS max", "DPS idle", "RSS KiB");
        for (const Run* r : {&quota, &unlimited}) {
            char ratio[16] = "-";
            if (r->quota_per_minute > 0)
                std::snprintf(ratio, sizeof ratio, "%.2f",
                              r->registrations_per_s() / (r->quota_per_minute / 60));
            std::printf("  %-20s %8.1f %8.1f %9.1f %9.1f %9.1f %9.2f %8s %7llu %6d %7d %7ld\n",
                        r->name.c_str(), r->ready_s, r->first_assigned_s, r->all_assigned_s,
                        r->all_connected_s, r->all_arrived_s, r->registrations_per_s(), ratio,
                        static_cast<unsigned long long>(r->throttled), r->dps_connections_max,
                        r->dps_connections_idle, r->rss_kib);
        }
        std::printf(
            "  (seconds since hubgate was started cold, polled every 0.5 s: ready = subscribed "
            "locally;\n   first a. / all ass. = DPS assigned the first / every device; reg/s = "
            "devices ÷ (all assigned − all published);\n   ÷quota = reg/s ÷ (quota/60); DPS max "
            "/ idle = hubgate's open connections to DPS, most seen / once all connected)\n");
        // The quota alone, as hubsim models it (a token bucket of a minute's registrations that
        // starts full), would let N registrations through in this long:
        const double quota_only_s =
            std::max(0.0, devices - kDpsQuotaPerMinute) / (kDpsQuotaPerMinute / 60);
        const double ratio = quota.registrations_per_s() / (kDpsQuotaPerMinute / 60);
        const bool rate_goal = quota.complete && ratio >= 0.9;
        const bool idle_goal =
            quota.dps_connections_idle == 0 && unlimited.dps_connections_idle == 0;
        std::printf(
            "  the quota alone (a bucket of 200, refilled at 200/min) passes %d in %.0f s\n"
            "  goals: registrations within 10%% of the quota: %s (%.2f); DPS connections closed "
            "once assigned: %s\n",
            devices, quota_only_s, rate_goal ? "met" : "NOT met", ratio, idle_goal ? "yes" : "NO");
        write_json(json_path, json{{"benchmark", "provisioning"},
                                   {"devices", devices},
                                   {"runs", {to_json(quota), to_json(unlimited)}},
                                   {"quota_only_seconds", quota_only_s},
                                   {"goal_ratio_to_quota", 0.9},
                                   {"goals_met", rate_goal && idle_goal}});
    } catch (const std::exception& error) {
        std::fprintf(stderr, "bench_provisioning: %s\n", error.what());
        return 1;
    }
    return 0;
}
