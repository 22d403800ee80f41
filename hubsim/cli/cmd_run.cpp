// `hubsim run -c FILE [--state-dir DIR] [--plugin PATH] [--mosquitto PATH]`: writes a mosquitto
// config for the hub, starts mosquitto with the hubsim plugin, prints one ready line once both
// the MQTT listener and the HTTPS API answer, and supervises the broker until stopped.

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "gateway/cli/args.hpp"
#include "gateway/cli/command.hpp"
#include "hubsim/cli/bind_interface.hpp"
#include "hubsim/cli/client_trust.hpp"
#include "hubsim/cli/free_ports.hpp"
#include "hubsim/cli/hub_config.hpp"
#include "hubsim/cli/mosquitto_child.hpp"
#include "hubsim/cli/mosquitto_config.hpp"
#include "hubsim/cli/service_client.hpp"
#include "hubsim/cli/state_file.hpp"
#include "hubsim/cli/test_certificates.hpp"

namespace hubsim::cli {

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using hubgate::cli::kExitFailure;
using hubgate::cli::kExitOk;
using hubgate::cli::kExitUsage;

constexpr auto kReadyTimeout = 30s;
constexpr auto kStopGrace = 10s;
constexpr int kStartAttempts = 3;
constexpr const char* kPluginFile = "hubsim_plugin.so";

// --plugin, else $HUBSIM_PLUGIN, else beside the binary: in the build tree bin/../lib, once
// installed {prefix}/bin/../{libdir}/hubsim/plugins (the prefix is wherever the binary is, so a
// package built with any configure-time prefix finds its plugin).
fs::path find_plugin(const std::optional<std::string>& explicit_path) {
    if (explicit_path)
        return fs::absolute(*explicit_path);
    if (const char* env = std::getenv("HUBSIM_PLUGIN"); env && *env)
        return fs::absolute(env);
    std::error_code ec;
    const auto prefix = fs::read_symlink("/proc/self/exe", ec).parent_path().parent_path();
    if (ec)  // no /proc: the Debian package's prefix
        return fs::path("/usr") / HUBSIM_PLUGIN_DIR_IN_PREFIX / kPluginFile;
    const auto in_build_tree = prefix / "lib" / kPluginFile;
    if (fs::exists(in_build_tree))
        return in_build_tree;
    return prefix / HUBSIM_PLUGIN_DIR_IN_PREFIX / kPluginFile;
}

fs::path prepare_state_dir(const std::optional<std::string>& option, const HubConfig& config) {
    const fs::path dir = option                      ? fs::absolute(*option)
                         : !config.state_dir.empty() ? config.state_dir
                                                     : default_state_dir(config.file);
    // Keys and the persistence file live here: a folder we create is private. An existing one
    // is left as its owner set it.
    if (fs::create_directories(dir)) {
        fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace);
    }
    return dir;
}

void write_text(const fs::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::trunc);
    out << text;
    if (!out)
        throw std::runtime_error("cannot write " + path.string());
}

enum class Readiness { Ready, Stopped, Died, TimedOut };

// Waits until mosquitto accepts MQTT and the plugin's HTTPS API answers (any HTTP answer),
// waking at once when mosquitto exits or hubsim is told to stop.
Readiness wait_until_ready(MosquittoChild& broker, const RunningHub& hub,
                           const ServiceClient& client, bool has_owner_key) {
    // Any HTTP answer will do; with no iothubowner key in the config, the 401 answers too.
    const std::optional<std::string> authorization =
        has_owner_key ? std::nullopt : std::optional<std::string>("");
    const auto deadline = std::chrono::steady_clock::now() + kReadyTimeout;
    // Each listener is probed until it first answers (every probe is a log line in mosquitto).
    bool mqtt_up = false;
    bool wss_up = false;
    bool dps_up = false;
    bool x509_up = false;
    bool dps_x509_up = false;
    size_t extra_hubs_up = 0;  // [[hubs]] listeners answer in order
    while (std::chrono::steady_clock::now() < deadline) {
        if (broker.poll_exit())
            return Readiness::Died;
        mqtt_up = mqtt_up || port_accepts(hub.mqtts_port);
        wss_up = wss_up || port_accepts(hub.wss_port);
        dps_up = dps_up || port_accepts(hub.dps_port);
        x509_up = x509_up || port_accepts(hub.x509_port);
        dps_x509_up = dps_x509_up || port_accepts(hub.dps_x509_port);
        while (extra_hubs_up < hub.extra_hubs.size() &&
               port_accepts(hub.extra_hubs[extra_hubs_up].second))
            ++extra_hubs_up;
        if (mqtt_up && wss_up && dps_up && x509_up && dps_x509_up &&
            extra_hubs_up == hub.extra_hubs.size() &&
            client.call("GET", "/hubsim/connections", std::nullopt, authorization).status != 0) {
            return Readiness::Ready;
        }
        // Re-checks every 50 ms; SIGCHLD / SIGTERM cut the wait short.
        const int sig = wait_for_signal(50ms);
        if (sig == SIGINT || sig == SIGTERM)
            return Readiness::Stopped;
    }
    return Readiness::TimedOut;
}

int supervise(MosquittoChild& broker) {
    for (;;) {
        const int sig = wait_for_signal(1s);
        if (sig == SIGINT || sig == SIGTERM) {
            const int status = broker.stop(kStopGrace);
            std::fprintf(stderr, "hubsim: stopped (mosquitto exit status %d)\n", status);
            return kExitOk;
        }
        if (const auto status = broker.poll_exit()) {
            std::fprintf(stderr, "hubsim: mosquitto exited unexpectedly (status %d)\n", *status);
            return kExitFailure;
        }
    }
}

// Writes the mosquitto config for `hub` (generating the test PKI if needed; sets hub.ca_file)
// and starts the broker.
std::unique_ptr<MosquittoChild> start_broker(const HubConfig& config, const fs::path& state_dir,
                                             const fs::path& plugin, const fs::path& mosquitto,
                                             RunningHub& hub) {
    MosquittoSetup setup{hub.mqtts_port,   hub.wss_port,     hub.https_port, "127.0.0.1",
                         config.cert_file, config.key_file,  state_dir,      plugin,
                         config.file,      ::geteuid() == 0, hub.dps_port};
    const auto loopback = interface_with_address(setup.https_bind);
    if (!loopback) {
        // Never fall back to every interface: the emulator's keys are test keys.
        throw std::runtime_error("no network interface holds " + setup.https_bind +
                                 ": cannot bind the WebSocket listener to it");
    }
    setup.wss_interface = *loopback;
    std::vector<std::string> hostnames{config.hostname};
    for (const auto& [hostname, port] : hub.extra_hubs) {
        hostnames.push_back(hostname);
        setup.extra_hub_ports.push_back(port);
    }
    if (config.cert_file.empty()) {
        const auto certs = ensure_test_certificates(state_dir / "tls", hostnames);
        setup.cert_file = certs.server_cert;
        setup.key_file = certs.server_key;
        hub.ca_file = certs.ca_cert;
    }
    setup.x509_port = hub.x509_port;
    setup.dps_x509_port = hub.dps_x509_port;
    setup.client_trust_dir = state_dir / "client-trust";
    prepare_client_trust_dir(setup.client_trust_dir, hub.ca_file, config.client_trust_files);
    const auto mosquitto_conf = state_dir / "mosquitto.conf";
    write_text(mosquitto_conf, render_mosquitto_config(setup));
    return std::make_unique<MosquittoChild>(mosquitto, mosquitto_conf);
}

// " hubs=HOST:PORT,HOST:PORT" for [[hubs]], or nothing: a single-hub line stays as it was.
std::string extra_hubs_field(const RunningHub& hub) {
    std::string field;
    for (const auto& [hostname, port] : hub.extra_hubs)
        field += (field.empty() ? " hubs=" : ",") + hostname + ":" + std::to_string(port);
    return field;
}

// Publishes the ports (ports.json and the ready line) and runs until stopped.
int announce_and_supervise(MosquittoChild& broker, const fs::path& state_dir,
                           const RunningHub& hub) {
    write_state_file(state_dir, hub);
    // Fields are only ever appended, so that older readers of the line keep working.
    std::printf(
        "hubsim ready mqtts=%d wss=%d https=%d ca=%s hostname=%s dps=%d x509=%d dps_x509=%d%s\n",
        hub.mqtts_port, hub.wss_port, hub.https_port, hub.ca_file.c_str(), hub.hostname.c_str(),
        hub.dps_port, hub.x509_port, hub.dps_x509_port, extra_hubs_field(hub).c_str());
    std::fflush(stdout);
    const int code = supervise(broker);
    std::error_code ignored;
    fs::remove(state_file_path(state_dir), ignored);
    return code;
}

int run_hub(const hubgate::cli::Args& args) {
    const auto config = load_hub_config(args.require("config"));
    const auto state_dir = prepare_state_dir(args.get("state-dir"), config);
    const auto plugin = find_plugin(args.get("plugin"));
    if (!fs::exists(plugin)) {
        std::fprintf(stderr, "hubsim: plugin not found: %s (use --plugin or HUBSIM_PLUGIN)\n",
                     plugin.c_str());
        return kExitUsage;
    }
    const auto mosquitto = find_mosquitto(args.get("mosquitto"));
    if (mosquitto.empty()) {
        std::fprintf(stderr, "hubsim: mosquitto not found on PATH or in /usr/sbin\n");
        return kExitUsage;
    }

    // A port picked free can be taken by another process before mosquitto binds it; then
    // mosquitto exits at once and we try again with other ports (configured ports stay).
    bool ports_picked = !config.mqtts_port || !config.wss_port || !config.https_port ||
                        !config.dps_port || !config.x509_port || !config.dps_x509_port;
    for (const auto& extra : config.extra_hubs)
        ports_picked = ports_picked || !extra.mqtts_port;
    for (int attempt = 1;; ++attempt) {
        auto free = pick_free_ports(6 + static_cast<int>(config.extra_hubs.size()));
        RunningHub hub{config.mqtts_port ? config.mqtts_port : free[0],
                       config.wss_port ? config.wss_port : free[1],
                       config.https_port ? config.https_port : free[2],
                       config.ca_file,
                       config.hostname,
                       static_cast<long>(::getpid()),
                       config.dps_port ? config.dps_port : free[3],
                       config.x509_port ? config.x509_port : free[4],
                       config.dps_x509_port ? config.dps_x509_port : free[5]};
        for (size_t i = 0; i < config.extra_hubs.size(); ++i) {
            const auto& extra = config.extra_hubs[i];
            hub.extra_hubs.emplace_back(extra.hostname,
                                        extra.mqtts_port ? extra.mqtts_port : free[6 + i]);
        }
        auto broker = start_broker(config, state_dir, plugin, mosquitto, hub);
        ServiceClient probe(ServiceEndpoint{"127.0.0.1", hub.https_port, hub.ca_file, hub.hostname,
                                            "iothubowner", config.owner_key.value_or("")});
        probe.set_read_timeout(5s);
        switch (wait_until_ready(*broker, hub, probe, config.owner_key.has_value())) {
            case Readiness::Ready:
                return announce_and_supervise(*broker, state_dir, hub);
            case Readiness::Stopped:
                broker->stop(kStopGrace);
                return kExitOk;
            case Readiness::Died:
                std::fprintf(stderr, "hubsim: mosquitto exited (status %d) before it was ready\n",
                             *broker->poll_exit());
                if (ports_picked && attempt < kStartAttempts) {
                    std::fprintf(stderr, "hubsim: trying again with other ports\n");
                    continue;
                }
                return kExitFailure;
            case Readiness::TimedOut:
                std::fprintf(
                    stderr, "hubsim: not ready after %llds (MQTT port %d, HTTPS port %d)\n",
                    static_cast<long long>(kReadyTimeout.count()), hub.mqtts_port, hub.https_port);
                broker->stop(kStopGrace);
                return kExitFailure;
        }
    }
}

int cmd_run(std::span<const std::string> argv) {
    // Before any thread exists: signals are taken synchronously by the supervisor loop.
    block_supervisor_signals();
    try {
        const hubgate::cli::Args args(argv, {"config", "state-dir", "plugin", "mosquitto"}, {},
                                      {{"c", "config"}});
        return run_hub(args);
    } catch (const hubgate::cli::UsageError& e) {
        std::fprintf(stderr,
                     "hubsim run: %s\nusage: hubsim run -c FILE [--state-dir DIR] "
                     "[--plugin PATH] [--mosquitto PATH]\n",
                     e.what());
        return kExitUsage;
    } catch (const ConfigError& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return kExitUsage;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "hubsim run: %s\n", e.what());
        return kExitFailure;
    }
}

const hubgate::cli::CommandRegistrar run_command(
    {"run", "start the emulator (mosquitto + hubsim plugin) and print its ports", &cmd_run});

}  // namespace

}  // namespace hubsim::cli
