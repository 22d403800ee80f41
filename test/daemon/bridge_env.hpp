#pragma once
// Everything an end-to-end test of `hubgate run` needs, as real processes on free loopback
// ports: a private local mosquitto (max_queued_messages 0, user root), hubsim (HubsimFixture)
// with the test's devices and a DeviceConnect policy, and hubgate itself with a config and a
// mapping file written into a ScratchDir. Parts can be stopped and started again mid-test.

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "harness/binaries.hpp"
#include "harness/process.hpp"
#include "harness/scratch_dir.hpp"
#include "hubsim_fixture/hubsim_fixture.hpp"

namespace hubgate::test {

// The mapping the tests use: devices "{site}-{sensor}" under t/{site}/{sensor}/...
extern const char* const kTestMapping;

struct BridgeEnvOptions {
    std::vector<std::string> devices;  // registered in hubsim
    std::string mapping = kTestMapping;
    std::string extra_config;  // appended to hubgate.toml
    std::string log_level = "info";
    std::map<std::string, std::string> hubgate_env;  // added to hubgate's environment
    // Non-empty: hubsim serves DPS with an enrollment group "sensors" of this key (ID scope
    // kTestIdScope), and hubgate provisions its devices through it ([provisioning]).
    std::string dps_group_key;
    // How hubgate authenticates its sessions ([auth] mode): "policy" (a DeviceConnect policy),
    // "device-keys" (each device's primary key from hubsim's registry, in a device_keys_file) or
    // "x509". With "x509", `devices` are registered as "certificateAuthority" devices of a
    // test CA that hubsim trusts, `self_signed_devices` by the thumbprint of a self-signed
    // certificate; each has its certificate and key in dir()/pki, and hubgate connects to
    // hubsim's client-certificate listener.
    std::string auth_mode = "policy";
    std::vector<std::string> self_signed_devices;
    // hubsim serves DPS with an X.509 enrollment group "cameras" whose signing certificate is a
    // test CA (ID scope kTestIdScope), and hubgate provisions its devices with
    // mode = "dps-x509", holding that CA (dir()/pki/gateway-ca.pem and .key).
    bool dps_x509 = false;
    // With dps_group_key: the host name of a second hub in hubsim ([[hubs]]); the group spreads
    // its devices over both hubs (hashed), and hubgate reaches the second one through
    // [provisioning] hub_connect_hosts.
    std::string second_hub;
};

extern const char* const kTestIdScope;

// Options with only the devices set (the rest as declared above).
BridgeEnvOptions with_devices(std::vector<std::string> devices);

class BridgeEnv {
  public:
    explicit BridgeEnv(BridgeEnvOptions options);
    ~BridgeEnv();

    int local_port() const { return local_port_; }
    HubsimFixture& hub() { return *hub_; }
    Process& hubgate() { return *hubgate_; }
    const ScratchDir& dir() const { return dir_; }

    // Starts hubgate and waits until it subscribed to the local broker.
    void start_hubgate();
    // `hubgate status --json`'s counters; an empty object while hubgate does not answer.
    nlohmann::json status_counters() const;
    // SIGTERM; returns the exit status.
    int stop_hubgate();
    void kill_hubgate();  // SIGKILL: no chance to clean up
    // hubgate's output of every run so far (the current one last).
    std::string hubgate_output() const;

    void start_local_broker();
    void stop_local_broker();

    // Waits (bounded) for `needle` in the current hubgate's output after offset `from`.
    bool wait_for_log(const std::string& needle, std::chrono::milliseconds timeout = 20s,
                      std::size_t from = 0);

  private:
    BridgeEnvOptions options_;
    ScratchDir dir_{"hubgate-daemon-test"};
    int local_port_ = 0;
    std::unique_ptr<Process> mosquitto_;
    std::unique_ptr<HubsimFixture> hub_;
    std::unique_ptr<Process> hubgate_;
    std::string earlier_output_;

    // The hubsim registry entries and the hubgate [auth] section of options_.auth_mode.
    std::string x509_hub_toml();
    std::string auth_config();
    std::string dps_x509_hub_toml();
    std::string dps_x509_config();
};

}  // namespace hubgate::test
