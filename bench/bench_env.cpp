#include "bench_env.hpp"

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <csignal>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>

#include "harness/ports.hpp"

namespace hubgate::bench {

namespace {

// The bench mapping: telemetry and direct methods; the device id is the second topic level.
const char* const kBenchMapping = R"toml(
[[devices]]
name = "bench devices"
id = "{dev}"
  [devices.uplink]
  "b/{dev}/telemetry" = { send = "telemetry" }
  [devices.downlink]
  method = { topic = "b/{dev}/rpc/{method}/{rid}", reply = "b/{dev}/rpc/{method}/{rid}/reply/{status}", timeout = "10s" }
)toml";

std::string toml_string_array(const std::vector<std::string>& items) {
    std::string out = "[";
    for (std::size_t i = 0; i < items.size(); ++i)
        out += (i ? ",\"" : "\"") + items[i] + "\"";
    return out + "]";
}

// Process groups to kill on a signal; a fixed array: the handler may not allocate.
constexpr int kMaxWatched = 64;
volatile sig_atomic_t watched_count = 0;
pid_t watched[kMaxWatched];

void on_fatal_signal(int sig) {
    for (int i = 0; i < watched_count; ++i)
        ::kill(-watched[i], SIGKILL);
    ::_exit(128 + sig);
}

}  // namespace

void watch_child(pid_t pid) {
    if (watched_count < kMaxWatched) {
        watched[watched_count] = pid;
        watched_count = watched_count + 1;
    }
}

void kill_children_on_signal() {
    struct sigaction action {};
    action.sa_handler = on_fatal_signal;
    sigemptyset(&action.sa_mask);
    for (const int sig : {SIGINT, SIGTERM, SIGHUP})
        ::sigaction(sig, &action, nullptr);
}

TestCertificate make_test_certificate(const test::ScratchDir& dir, const std::string& dns_name) {
    TestCertificate cert{(dir.path() / "server.crt").string(),
                         (dir.path() / "server.key").string()};
    const std::string names =
        "subjectAltName=IP:127.0.0.1" + (dns_name.empty() ? "" : ",DNS:" + dns_name);
    const auto made =
        test::run({"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                   "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                   "-addext", names, "-keyout", cert.key_file, "-out", cert.cert_file},
                  30s);
    if (made.status != 0)
        throw std::runtime_error("openssl could not make a test certificate:\n" + made.output);
    return cert;
}

Broker::Broker(const test::ScratchDir& dir, const std::string& name, const TestCertificate* tls,
               const std::string& extra, const std::vector<std::string>& launcher) {
    port_ = test::free_tcp_port();
    // Every broker here is set up as docs/operations.md tells hubgate's users to set up theirs,
    // the bridge's included: no in-flight window (hubgate acknowledges a batch once it is on
    // disk; a window of 20 makes the broker wait for each sync) and no queue limit.
    std::string conf =
        "per_listener_settings false\nallow_anonymous true\npersistence false\n"
        "max_queued_messages 0\nmax_inflight_messages 0\nuser root\nset_tcp_nodelay true\n"
        "log_dest stderr\nlog_type error\nlog_type warning\n"
        "listener " +
        std::to_string(port_) + " 127.0.0.1\n";
    if (tls != nullptr) {
        tls_port_ = test::free_tcp_port();
        conf += "listener " + std::to_string(tls_port_) + " 127.0.0.1\ncertfile " + tls->cert_file +
                "\nkeyfile " + tls->key_file + "\ntls_version tlsv1.2\n";
    }
    conf += extra;
    const auto path = dir.write(name + ".conf", conf);
    std::vector<std::string> argv = launcher;
    argv.insert(argv.end(), {MOSQUITTO_EXECUTABLE, "-c", path.string()});
    process_ = std::make_unique<test::Process>(argv);
    watch_child(process_->pid());
    const auto start_limit = launcher.empty() ? 10s : 120s;
    if (!test::wait_for_port(port_, start_limit) ||
        (tls_port_ && !test::wait_for_port(tls_port_, start_limit)))
        throw std::runtime_error("mosquitto " + name + " did not start:\n" + process_->output());
}

std::string bridge_connection(int far_tls_port, const std::string& ca_file) {
    return "\nconnection far\naddress 127.0.0.1:" + std::to_string(far_tls_port) +
           "\nbridge_cafile " + ca_file +
           "\nbridge_protocol_version mqttv311\ncleansession true\ntry_private false\n"
           "notifications false\ntopic # out 1 bridge/ far/\n";
}

HubEndpoint hub_endpoint(test::HubsimFixture& hub) {
    return {hub.hostname(), hub.mqtts_port(), hub.ca_file().string(), hub.policy("device").key};
}

std::unique_ptr<test::Process> start_hubgate(const test::ScratchDir& dir, test::HubsimFixture& hub,
                                             const HubgateOptions& options) {
    return start_hubgate(dir, hub_endpoint(hub), options);
}

std::unique_ptr<test::Process> start_hubgate(const test::ScratchDir& dir, const HubEndpoint& hub,
                                             const HubgateOptions& options) {
    const auto key_file = dir.write("policy.key", hub.policy_key + "\n");
    ::chmod(key_file.c_str(), 0600);
    dir.write("mappings/bench.toml", kBenchMapping);
    const auto& d = dir.path();
    std::ostringstream conf;
    conf << "mappings = [\"" << (d / "mappings" / "*.toml").string() << "\"]\n"
         << "[hub]\nhostname = \"" << hub.hostname
         << "\"\nconnect_host = \"127.0.0.1:" << hub.mqtts_port << "\"\nca_file = \"" << hub.ca_file
         << "\"\n"
         << "[auth]\nmode = \"policy\"\npolicy_name = \"device\"\nkey_file = \""
         << key_file.string() << "\"\n"
         << "[local]\nhost = \"127.0.0.1\"\nport = " << options.local_port
         << "\nclient_id = \"hubgate-bench\"\n"
         << "[sessions]\nconnect_rate = " << options.connect_rate
         << "\nconnect_seen_devices = false\nstartup_devices = "
         << toml_string_array(options.startup_devices) << "\n"
         << "[spool]\ndir = \"" << (d / "spool").string() << "\"\n"
         << "[state]\ndir = \"" << (d / "state").string() << "\"\n"
         << "[control]\nsocket = \"" << (d / "control.sock").string() << "\"\n"
         << "[log]\nlevel = \"" << options.log_level << "\"\n";
    const auto config = dir.write("hubgate.toml", conf.str());
    std::vector<std::string> argv = options.launcher;
    argv.insert(argv.end(),
                {std::string(HUBGATE_BIN_DIR) + "/hubgate", "run", "-c", config.string()});
    auto process = std::make_unique<test::Process>(argv);
    watch_child(process->pid());
    // "subscribed to" is logged at info: the bench runs hubgate at info (one line per session).
    if (!process->wait_for_output("subscribed to", options.launcher.empty() ? 30s : 180s))
        throw std::runtime_error("hubgate did not subscribe:\n" + process->output());
    return process;
}

std::string device_id(int index) {
    char id[16];
    std::snprintf(id, sizeof id, "d%05d", index);
    return id;
}

std::string local_topic(const std::string& device) {
    return "b/" + device + "/telemetry";
}

uint64_t hub_telemetry_count(const test::HubsimFixture& hub) {
    // A device filter that matches nothing keeps the answer small; "last" counts every record.
    const auto answer = hub.telemetry(UINT64_MAX / 2, 0s, std::string("-none-"));
    if (!answer.ok())
        throw std::runtime_error("hubsim telemetry: " + answer.text);
    return answer.body.at("last").get<uint64_t>();
}

int hub_connected_count(const test::HubsimFixture& hub) {
    const auto answer = hub.connections();
    if (!answer.ok())
        throw std::runtime_error("hubsim connections: " + answer.text);
    int connected = 0;
    for (const auto& device : answer.body.at("devices"))
        connected += device.value("connected", false) ? 1 : 0;
    return connected;
}

long vm_rss_kib(pid_t pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmRSS:", 0) == 0)
            return std::strtol(line.c_str() + 6, nullptr, 10);
    }
    return 0;
}

double cpu_seconds(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    // Fields after the command name (which may hold spaces) start at the last ')'.
    const auto close = text.rfind(')');
    if (close == std::string::npos)
        return 0;
    std::istringstream fields(text.substr(close + 2));
    std::string field;
    double ticks = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i) {
        if (i == 14 || i == 15)
            ticks += std::stod(field);  // utime, stime
    }
    double seconds = ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
    std::ifstream children("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) +
                           "/children");
    pid_t child = 0;
    while (children >> child)
        seconds += cpu_seconds(child);
    return seconds;
}

void raise_open_files_limit() {
    // 10,000 sessions are 10,000 descriptors in hubgate and as many in hubsim: ask for more
    // than the hard limit first (root with CAP_SYS_RESOURCE may); else up to the hard limit.
    constexpr rlim_t kWanted = 1 << 16;
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0)
        return;
    if (limit.rlim_max < kWanted) {
        const rlimit wanted{kWanted, kWanted};
        if (::setrlimit(RLIMIT_NOFILE, &wanted) == 0)
            return;
    }
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
}

double quantile(std::vector<double>& samples, double q) {
    if (samples.empty())
        return NAN;
    std::sort(samples.begin(), samples.end());
    const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(samples.size())));
    return samples[std::clamp<std::size_t>(rank, 1, samples.size()) - 1];
}

}  // namespace hubgate::bench
