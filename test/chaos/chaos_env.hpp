#pragma once
// The processes of a chaos run on free loopback ports: a local mosquitto with persistence (so a
// restart keeps hubgate's and the devices' sessions, as a real broker must), hubsim with the
// fleet's devices and a DeviceConnect policy, the FaultProxy between hubgate and hubsim's MQTT
// port, and hubgate itself (short keep-alive and token lifetime, so dead links and token
// renewals happen within the run). Every part can be stopped and started again.

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "fault_proxy.hpp"
#include "harness/process.hpp"
#include "harness/scratch_dir.hpp"
#include "hubsim_fixture/hubsim_fixture.hpp"

namespace hubgate::chaos {

// Devices "{site}-{sensor}" under t/{site}/{sensor}/..., as DeviceGroup speaks.
extern const char* const kChaosMapping;

struct ChaosEnvOptions {
    std::vector<std::string> devices{};
    std::string keepalive = "10s";   // hub.keepalive: notices a blackhole in ~15 s
    std::string token_ttl = "1m";    // auth.token_ttl: a renewal per session every minute
    std::string log_level = "info";  // start_hubgate() waits for an info line
};

class ChaosEnv {
  public:
    explicit ChaosEnv(ChaosEnvOptions options);
    ~ChaosEnv();

    int local_port() const { return local_port_; }
    test::HubsimFixture& hub() { return *hub_; }
    FaultProxy& proxy() { return proxy_; }
    const std::filesystem::path& dir() const { return dir_.path(); }

    void start_hubgate();   // waits until it subscribed to the local broker
    void kill_hubgate();    // SIGKILL, reaped
    void reload_hubgate();  // SIGHUP
    bool hubgate_running();
    std::string hubgate_output() const;  // every run so far

    void start_local_broker();  // waits for its port
    void stop_local_broker();   // SIGTERM: it writes its persistence file

  private:
    ChaosEnvOptions options_;
    test::ScratchDir dir_{"hubgate-chaos"};
    int local_port_ = 0;
    FaultProxy proxy_;
    std::unique_ptr<test::Process> mosquitto_;
    std::unique_ptr<test::HubsimFixture> hub_;
    std::unique_ptr<test::Process> hubgate_;
    std::string earlier_output_{};
};

}  // namespace hubgate::chaos
