#include "chaos_env.hpp"

#include <sys/stat.h>

#include <csignal>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <nlohmann/json.hpp>

#include "harness/ports.hpp"

namespace hubgate::chaos {

using namespace std::chrono_literals;

const char* const kChaosMapping = R"toml(
[[devices]]
name = "chaos devices"
id = "{site}-{sensor}"
plugins = ["poison"]

  [devices.uplink]
  "t/{site}/{sensor}/telemetry" = { send = "telemetry", properties = { site = "{site}", "$.ct" = "application/json" } }
  "t/{site}/{sensor}/state" = { send = "reported" }
  "t/{site}/{sensor}/twin/get/{rid}" = { send = "twin-get" }

  [devices.downlink]
  c2d = "t/{site}/{sensor}/inbox"
  desired = { topic = "t/{site}/{sensor}/config", retain = true }
  twin = "t/{site}/{sensor}/twin/res/{status}/{rid}"
  method = { topic = "t/{site}/{sensor}/rpc/{method}/{rid}", reply = "t/{site}/{sensor}/rpc/{method}/{rid}/reply/{status}", timeout = "10s" }
)toml";

ChaosEnv::ChaosEnv(ChaosEnvOptions options) : options_(std::move(options)) {
    local_port_ = test::free_tcp_port();
    if (options_.spool_disk_bytes > 0) {
        spool_disk_ =
            SpoolDisk::mount(dir_.path() / "spool", options_.spool_disk_bytes, spool_disk_refused_);
    }
    notify_ = std::make_unique<NotifySink>(dir_.path() / "notify.sock");
    start_local_broker();

    test::HubsimOptions hub_options;
    for (const auto& id : options_.devices) {
        hub_options.devices.push_back({.id = id});
    }
    hub_options.policies.push_back({"device", "", {"DeviceConnect"}});
    hub_options.ready_timeout = 60s;
    hub_ = std::make_unique<test::HubsimFixture>(hub_options);
    proxy_.set_target(hub_->mqtts_port());

    const auto key_file = dir_.write("policy.key", hub_->policy("device").key + "\n");
    ::chmod(key_file.c_str(), 0600);
    dir_.write("mappings/chaos.toml", kChaosMapping);
    const auto& d = dir_.path();
    const auto quoted = [](const std::filesystem::path& path) {
        return "\"" + path.string() + "\"";
    };
    dir_.write(
        "hubgate.toml",
        "mappings = [" + quoted(d / "mappings" / "*.toml") + "]\n" + "[hub]\nhostname = \"" +
            hub_->hostname() + "\"\n" +
            "connect_host = \"127.0.0.1:" + std::to_string(proxy_.port()) + "\"\n" +
            "ca_file = " + quoted(hub_->ca_file()) + "\n" + "keepalive = \"" + options_.keepalive +
            "\"\n" + "[auth]\nmode = \"policy\"\npolicy_name = \"device\"\n" +
            "key_file = " + quoted(key_file) + "\n" + "token_ttl = \"" + options_.token_ttl +
            "\"\n" + "[local]\nhost = \"127.0.0.1\"\nport = " + std::to_string(local_port_) + "\n" +
            "client_id = \"hubgate-chaos\"\n" +
            "[sessions]\nconnect_rate = 200\nbackoff = { min = \"200ms\", max = \"5s\" }\n" +
            // hubsim can refuse a CONNECT only with CONNACK 5 ("not authorized"), which
            // hubgate takes for refused credentials and retries after 10 min; the soak's
            // refusals are brief, so a refused session retries within its settling time.
            "refused_backoff = \"20s\"\n" + "[spool]\ndir = " + quoted(d / "spool") + "\n" +
            "[state]\ndir = " + quoted(d / "state") + "\n" +
            "[control]\nsocket = " + quoted(d / "control.sock") + "\n" + "[log]\nlevel = \"" +
            options_.log_level + "\"\n" + "[plugins]\ndir = \"" HUBGATE_LIB_DIR "\"\n" +
            "[plugins.poison]\nfile = \"test-poison.so\"\n");
}

ChaosEnv::~ChaosEnv() {
    hubgate_.reset();
    hub_.reset();
    mosquitto_.reset();
}

std::vector<std::string> ChaosEnv::hubgate_command() const {
    return {std::string(HUBGATE_BIN_DIR) + "/hubgate", "run", "-c",
            (dir() / "hubgate.toml").string()};
}

std::map<std::string, std::string> ChaosEnv::hubgate_environment() const {
    return {{"NOTIFY_SOCKET", notify_->path().string()}, {"WATCHDOG_USEC", options_.watchdog_usec}};
}

void ChaosEnv::start_hubgate() {
    if (hubgate_) {
        earlier_output_ += hubgate_->output();
    }
    hubgate_ = std::make_unique<test::Process>(hubgate_command(), hubgate_environment());
    if (hubgate_->wait_for_output("subscribed to", 60s)) {
        return;
    }
    throw std::runtime_error("hubgate did not start:\n" + hubgate_->output());
}

bool ChaosEnv::start_hubgate_may_die(const std::string& stuck_log) {
    if (hubgate_) {
        earlier_output_ += hubgate_->output();
    }
    hubgate_ = std::make_unique<test::Process>(hubgate_command(), hubgate_environment());
    const auto until = std::chrono::steady_clock::now() + 60s;
    while (std::chrono::steady_clock::now() < until) {
        if (hubgate_said("subscribed to") || hubgate_said(stuck_log)) {
            return true;
        }
        if (!hubgate_->running()) {
            return false;
        }
        std::this_thread::sleep_for(100ms);
    }
    throw std::runtime_error("hubgate did not start:\n" + hubgate_->output());
}

bool ChaosEnv::hubgate_said(const std::string& needle) const {
    return hubgate_ && hubgate_->output().find(needle) != std::string::npos;
}

std::vector<DeadLetter> ChaosEnv::dead_letters() const {
    std::vector<DeadLetter> letters;
    std::error_code error;
    for (const auto& entry :
         std::filesystem::directory_iterator(dir_.path() / "state" / "dead-letter", error)) {
        if (entry.path().extension() != ".json") {
            continue;  // a temporary file of an atomic write
        }
        std::ifstream file(entry.path());
        std::stringstream text;
        text << file.rdbuf();
        const auto kept = nlohmann::json::parse(text.str(), nullptr, false);
        if (kept.is_object()) {
            letters.push_back({kept.value("topic", ""), kept.value("payload", "")});
        }
    }
    return letters;
}

void ChaosEnv::kill_hubgate() {
    hubgate_->signal(SIGKILL);
    hubgate_->wait_exit(10s);
}

void ChaosEnv::reload_hubgate() {
    hubgate_->signal(SIGHUP);
}

bool ChaosEnv::hubgate_running() {
    return hubgate_ && hubgate_->running();
}

std::string ChaosEnv::hubgate_output() const {
    return earlier_output_ + (hubgate_ ? hubgate_->output() : std::string());
}

std::string ChaosEnv::broker_output() const {
    return earlier_broker_output_ + (mosquitto_ ? mosquitto_->output() : std::string());
}

// Set up as docs/operations.md tells hubgate's users to set up their broker.
void ChaosEnv::start_local_broker() {
    const auto conf = dir_.write("mosquitto.conf", "listener " + std::to_string(local_port_) +
                                                       " 127.0.0.1\n"
                                                       "allow_anonymous true\n"
                                                       "persistence true\n"
                                                       "persistence_location " +
                                                       (dir_.path() / "mosquitto").string() +
                                                       "/\n"
                                                       "max_queued_messages 0\n"
                                                       "max_inflight_messages 0\n"
                                                       "user root\n");
    std::filesystem::create_directories(dir_.path() / "mosquitto");
    mosquitto_ = std::make_unique<test::Process>(
        std::vector<std::string>{MOSQUITTO_EXECUTABLE, "-c", conf.string()});
    if (!test::wait_for_port(local_port_, 10s)) {
        throw std::runtime_error("local mosquitto did not start:\n" + mosquitto_->output());
    }
}

void ChaosEnv::stop_local_broker() {
    mosquitto_->stop(10s);
    earlier_broker_output_ += mosquitto_->output();
    mosquitto_.reset();
}

}  // namespace hubgate::chaos
