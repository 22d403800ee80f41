#pragma once
// The processes of a chaos run on free loopback ports: a local mosquitto with persistence (so a
// restart keeps hubgate's and the devices' sessions, as a real broker must), hubsim with the
// fleet's devices and a DeviceConnect policy, the FaultProxy between hubgate and hubsim's MQTT
// port, and hubgate itself (short keep-alive and token lifetime, so dead links and token
// renewals happen within the run). Every part can be stopped and started again.
//
// For the poison faults every device route runs the poison test plugin
// (test/plugins/poison_plugin.c: crashes on "crash-me", hangs on "hang-me", passes anything
// else), and hubgate runs with a systemd watchdog (NOTIFY_SOCKET, WATCHDOG_USEC) so that it logs
// a stuck thread. For disk-full windows the spool directory can be a tmpfs of its own
// (SpoolDisk).

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "fault_proxy.hpp"
#include "harness/process.hpp"
#include "harness/scratch_dir.hpp"
#include "hubsim_fixture/hubsim_fixture.hpp"
#include "ledger.hpp"
#include "notify_sink.hpp"
#include "spool_disk.hpp"

namespace hubgate::chaos {

// Devices "{site}-{sensor}" under t/{site}/{sensor}/..., as DeviceGroup speaks.
extern const char* const kChaosMapping;

struct ChaosEnvOptions {
    std::vector<std::string> devices{};
    std::string keepalive = "10s";   // hub.keepalive: notices a blackhole in ~15 s
    std::string token_ttl = "1m";    // auth.token_ttl: a renewal per session every minute
    std::string log_level = "info";  // start_hubgate() waits for an info line
    // WATCHDOG_USEC: hubgate logs a thread silent for half of it as stuck. Long enough that a
    // loaded machine's slow fdatasync is not taken for a hang.
    std::string watchdog_usec = "10000000";
    // A tmpfs of this size on the spool directory (0: none); needs a private mount namespace.
    std::uint64_t spool_disk_bytes = 0;
};

class ChaosEnv {
  public:
    explicit ChaosEnv(ChaosEnvOptions options);
    ~ChaosEnv();

    int local_port() const { return local_port_; }
    test::HubsimFixture& hub() { return *hub_; }
    FaultProxy& proxy() { return proxy_; }
    const std::filesystem::path& dir() const { return dir_.path(); }

    void start_hubgate();  // waits until it subscribed to the local broker
    // Like start_hubgate, for a start that may die or hang early on a redelivered poison
    // message: true once it subscribed or printed `stuck_log`, false when it exited first.
    bool start_hubgate_may_die(const std::string& stuck_log);
    void kill_hubgate();    // SIGKILL, reaped
    void reload_hubgate();  // SIGHUP
    bool hubgate_running();
    std::string hubgate_output() const;  // every run so far
    // Everything the local broker wrote, over all its restarts.
    std::string broker_output() const;
    // Whether the running (or last) hubgate process printed `needle`.
    bool hubgate_said(const std::string& needle) const;

    // The files of hubgate's dead-letter folder (state/dead-letter/*.json).
    std::vector<DeadLetter> dead_letters() const;
    // The spool's own filesystem; nullptr when there is none (see spool_disk_bytes).
    SpoolDisk* spool_disk() { return spool_disk_.get(); }
    // Why there is no spool filesystem (empty when there is one or none was asked for).
    const std::string& spool_disk_refused() const { return spool_disk_refused_; }
    uint64_t watchdog_pings() const { return notify_->watchdog_pings(); }

    void start_local_broker();  // waits for its port
    void stop_local_broker();   // SIGTERM: it writes its persistence file

  private:
    std::vector<std::string> hubgate_command() const;
    std::map<std::string, std::string> hubgate_environment() const;

    ChaosEnvOptions options_;
    test::ScratchDir dir_{"hubgate-chaos"};
    int local_port_ = 0;
    std::unique_ptr<SpoolDisk> spool_disk_;
    std::string spool_disk_refused_{};
    std::unique_ptr<NotifySink> notify_;
    FaultProxy proxy_;
    std::unique_ptr<test::Process> mosquitto_;
    std::unique_ptr<test::HubsimFixture> hub_;
    std::unique_ptr<test::Process> hubgate_;
    std::string earlier_output_{};
    std::string earlier_broker_output_{};  // the local brokers' before the last restart
};

}  // namespace hubgate::chaos
