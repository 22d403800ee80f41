#include "bridge_env.hpp"

#include <sys/stat.h>

#include <csignal>
#include <fstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "harness/ports.hpp"
#include "harness/test_pki.hpp"

namespace hubgate::test {

const char* const kTestMapping = R"toml(
[[devices]]
name = "test sensors"
id = "{site}-{sensor}"

  [devices.uplink]
  "t/{site}/{sensor}/telemetry" = { send = "telemetry", properties = { site = "{site}", "$.ct" = "application/json" } }
  "t/{site}/{sensor}/state" = { send = "reported" }
  "t/{site}/{sensor}/twin/get/{rid}" = { send = "twin-get" }
  "t/{site}/{sensor}/debug/{rest...}" = "ignore"

  [devices.downlink]
  c2d = "t/{site}/{sensor}/inbox"
  desired = { topic = "t/{site}/{sensor}/config", retain = true }
  twin = "t/{site}/{sensor}/twin/res/{status}/{rid}"
  method = { topic = "t/{site}/{sensor}/rpc/{method}/{rid}", reply = "t/{site}/{sensor}/rpc/{method}/{rid}/reply/{status}", timeout = "10s" }
)toml";

const char* const kTestIdScope = "0ne0000D0E0";

namespace {

// hub_connect_hosts for the hubs of hubsim's [[hubs]] (hubgate finds each one's port there).
std::string hub_connect_hosts(const HubsimFixture& hub) {
    std::string entries;
    for (const auto& [hostname, port] : hub.extra_hub_ports())
        entries += (entries.empty() ? "" : ", ") + ("\"" + hostname + "=127.0.0.1:") +
                   std::to_string(port) + "\"";
    return entries.empty() ? std::string() : "hub_connect_hosts = [" + entries + "]\n";
}

// hubgate's [provisioning] through hubsim's DPS, with the group key in a secret file.
std::string provisioning_config(const ScratchDir& dir, const HubsimFixture& hub,
                                const std::string& group_key) {
    const auto key_file = dir.write("group.key", group_key + "\n");
    ::chmod(key_file.c_str(), 0600);
    return std::string("[provisioning]\nmode = \"dps-symmetric-key\"\nid_scope = \"") +
           kTestIdScope + "\"\nconnect_host = \"127.0.0.1:" + std::to_string(hub.dps_port()) +
           "\"\nca_file = \"" + hub.ca_file().string() + "\"\ngroup_key_file = \"" +
           key_file.string() + "\"\nregistration_rate = 50\n" + hub_connect_hosts(hub);
}

std::vector<HubsimDevice> hub_devices(const std::vector<std::string>& ids) {
    std::vector<HubsimDevice> devices;
    for (const auto& id : ids) {
        HubsimDevice device;
        device.id = id;
        devices.push_back(device);
    }
    return devices;
}

}  // namespace

BridgeEnvOptions with_devices(std::vector<std::string> devices) {
    BridgeEnvOptions options;
    options.devices = std::move(devices);
    return options;
}

BridgeEnv::BridgeEnv(BridgeEnvOptions options) : options_(std::move(options)) {
    local_port_ = free_tcp_port();
    start_local_broker();

    HubsimOptions hub_options;
    if (options_.auth_mode == "x509") {
        hub_options.extra_toml = x509_hub_toml();
    } else {
        hub_options.devices = hub_devices(options_.devices);
    }
    hub_options.policies.push_back({"device", "", {"DeviceConnect"}});
    if (!options_.dps_group_key.empty()) {
        hub_options.extra_toml += std::string("[dps]\nid_scope = \"") + kTestIdScope +
                                  "\"\npoll_after_seconds = 1\n\n[[enrollment_groups]]\n"
                                  "id = \"sensors\"\nprimary_key = \"" +
                                  options_.dps_group_key + "\"\n";
        if (!options_.second_hub.empty()) {
            hub_options.extra_toml += "allocation_policy = \"hashed\"\niot_hubs = [\"" +
                                      hub_options.hostname + "\", \"" + options_.second_hub +
                                      "\"]\n\n[[hubs]]\nhostname = \"" + options_.second_hub +
                                      "\"\n";
        }
    }
    if (options_.dps_x509)
        hub_options.extra_toml += dps_x509_hub_toml();
    hub_ = std::make_unique<HubsimFixture>(hub_options);

    dir_.write("mappings/test.toml", options_.mapping);
    const auto& d = dir_.path();
    dir_.write(
        "hubgate.toml",
        "mappings = [\"" + (d / "mappings" / "*.toml").string() +
            "\"]\n"
            "[hub]\n"
            "hostname = \"" +
            hub_->hostname() +
            "\"\n"
            "connect_host = \"127.0.0.1:" +
            std::to_string(options_.auth_mode == "x509" || options_.dps_x509 ? hub_->x509_port()
                                                                             : hub_->mqtts_port()) +
            "\"\n"
            "ca_file = \"" +
            hub_->ca_file().string() + "\"\n" + auth_config() +
            "[local]\nhost = \"127.0.0.1\"\nport = " + std::to_string(local_port_) +
            "\n"
            "client_id = \"hubgate-test\"\n"
            "[sessions]\nconnect_rate = 200\nbackoff = { min = \"200ms\", max = \"2s\" }\n"
            "[spool]\ndir = \"" +
            (d / "spool").string() +
            "\"\n"
            "[state]\ndir = \"" +
            (d / "state").string() +
            "\"\n"
            "[control]\nsocket = \"" +
            (d / "control.sock").string() +
            "\"\n"
            "[log]\nlevel = \"" +
            options_.log_level + "\"\n" + options_.extra_config +
            (options_.dps_group_key.empty()
                 ? std::string()
                 : provisioning_config(dir_, *hub_, options_.dps_group_key)) +
            (options_.dps_x509 ? dps_x509_config() : std::string()));
}

std::string BridgeEnv::x509_hub_toml() {
    TestPki pki(dir_.path() / "pki");
    pki.make_ca("fleet-ca", "hubgate test fleet CA");
    std::string toml = "[[certificate_authorities]]\nname = \"fleet\"\nfile = \"" +
                       pki.cert("fleet-ca").string() + "\"\n\n";
    for (const auto& id : options_.devices) {
        pki.issue(id, "fleet-ca", id);
        toml += "[[devices]]\nid = \"" + id + "\"\nauthentication = \"certificateAuthority\"\n\n";
    }
    for (const auto& id : options_.self_signed_devices) {
        pki.self_signed(id, id);
        toml += "[[devices]]\nid = \"" + id + "\"\nx509_certificate = \"" + pki.cert(id).string() +
                "\"\n\n";
    }
    return toml;
}

std::string BridgeEnv::dps_x509_hub_toml() {
    TestPki pki(dir_.path() / "pki");
    pki.make_ca("gateway-ca", "hubgate test gateway CA");
    return std::string("[dps]\nid_scope = \"") + kTestIdScope +
           "\"\npoll_after_seconds = 1\n\n[[enrollment_groups]]\nid = \"cameras\"\n"
           "certificate_file = \"" +
           pki.cert("gateway-ca").string() + "\"\n";
}

std::string BridgeEnv::dps_x509_config() {
    const TestPki pki(dir_.path() / "pki");
    return std::string("[provisioning]\nmode = \"dps-x509\"\nid_scope = \"") + kTestIdScope +
           "\"\nconnect_host = \"127.0.0.1:" + std::to_string(hub_->dps_x509_port()) +
           "\"\nca_file = \"" + hub_->ca_file().string() + "\"\nca_cert_file = \"" +
           pki.cert("gateway-ca").string() + "\"\nca_key_file = \"" +
           pki.key("gateway-ca").string() + "\"\nregistration_rate = 50\n";
}

std::string BridgeEnv::auth_config() {
    if (options_.auth_mode == "x509") {
        const auto pki = dir_.path() / "pki";
        return "[auth]\nmode = \"x509\"\ncert_file = \"" + (pki / "{device}.pem").string() +
               "\"\ncert_key_file = \"" + (pki / "{device}.key").string() + "\"\n";
    }
    if (options_.auth_mode == "device-keys") {
        std::string keys;
        for (const auto& id : options_.devices)
            keys += "\"" + id + "\" = \"" + hub_->device(id).primary_key + "\"\n";
        const auto keys_file = dir_.write("device-keys.toml", keys);  // 0600
        return "[auth]\nmode = \"device-keys\"\ndevice_keys_file = \"" + keys_file.string() +
               "\"\n";
    }
    const auto key_file = dir_.write("policy.key", hub_->policy("device").key + "\n");
    return "[auth]\nmode = \"policy\"\npolicy_name = \"device\"\nkey_file = \"" +
           key_file.string() + "\"\n";
}

BridgeEnv::~BridgeEnv() {
    hubgate_.reset();
    hub_.reset();
    mosquitto_.reset();
}

void BridgeEnv::start_hubgate() {
    if (hubgate_) {
        earlier_output_ += hubgate_->output();
    }
    hubgate_ = std::make_unique<Process>(
        std::vector<std::string>{kHubgate, "run", "-c", (dir_.path() / "hubgate.toml").string()},
        options_.hubgate_env);
    if (!hubgate_->wait_for_output("subscribed to", 30s)) {
        throw std::runtime_error("hubgate did not subscribe to the local broker:\n" +
                                 hubgate_->output());
    }
}

int BridgeEnv::stop_hubgate() {
    hubgate_->signal(SIGTERM);
    const int status = hubgate_->wait_exit(30s).value_or(-1);
    // Its last lines (the final counters) may still be in the pipe.
    hubgate_->wait_output_closed(5s);
    return status;
}

void BridgeEnv::kill_hubgate() {
    hubgate_->signal(SIGKILL);
    hubgate_->wait_exit(10s);
}

std::string BridgeEnv::hubgate_output() const {
    return earlier_output_ + (hubgate_ ? hubgate_->output() : std::string());
}

void BridgeEnv::start_local_broker() {
    const auto conf = dir_.write("mosquitto.conf", "listener " + std::to_string(local_port_) +
                                                       " 127.0.0.1\n"
                                                       "allow_anonymous true\n"
                                                       "persistence false\n"
                                                       "max_queued_messages 0\n"
                                                       "user root\n");
    mosquitto_ = std::make_unique<Process>(
        std::vector<std::string>{MOSQUITTO_EXECUTABLE, "-c", conf.string()});
    if (!wait_for_port(local_port_, 10s)) {
        throw std::runtime_error("local mosquitto did not start:\n" + mosquitto_->output());
    }
}

void BridgeEnv::stop_local_broker() {
    mosquitto_->stop();
    mosquitto_.reset();
}

bool BridgeEnv::wait_for_log(const std::string& needle, std::chrono::milliseconds timeout,
                             std::size_t from) {
    return hubgate_->wait_for_output_after(from, needle, timeout);
}

nlohmann::json BridgeEnv::status_counters() const {
    const auto answer = run(
        {kHubgate, "status", "--json", "--socket", (dir_.path() / "control.sock").string()}, 30s);
    const auto status = nlohmann::json::parse(answer.output, nullptr, false);
    return answer.status == 0 && status.is_object() && status.contains("counters")
               ? status["counters"]
               : nlohmann::json::object();
}

}  // namespace hubgate::test
