#pragma once
// The processes a benchmark runs against, each on free loopback ports in one ScratchDir: plain and
// TLS mosquitto brokers (optionally bridging to another), hubsim (HubsimFixture) and `hubgate
// run`; plus the measuring helpers every benchmark shares (percentiles, VmRSS, JSON output).

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench_output.hpp"
#include "harness/process.hpp"
#include "harness/scratch_dir.hpp"
#include "hubsim_fixture/hubsim_fixture.hpp"

namespace hubgate::bench {

using namespace std::chrono_literals;

// A self-signed certificate for 127.0.0.1 (its own CA), made with the openssl command;
// `dns_name`, when given, is named too (a far end that hubgate reaches as its hub).
struct TestCertificate {
    std::string cert_file;
    std::string key_file;
};
TestCertificate make_test_certificate(const test::ScratchDir& dir,
                                      const std::string& dns_name = {});

// A private mosquitto. `tls`: the TLS listener's certificate (port tls_port()); `extra`: lines
// appended to the config (a bridge `connection` block, for instance); `launcher`: prepended to
// the command (valgrind, to count the broker's instructions).
class Broker {
  public:
    Broker(const test::ScratchDir& dir, const std::string& name,
           const TestCertificate* tls = nullptr, const std::string& extra = {},
           const std::vector<std::string>& launcher = {});
    int port() const { return port_; }
    int tls_port() const { return tls_port_; }
    pid_t pid() const { return process_->pid(); }
    // SIGTERM, then SIGKILL after `grace`: mosquitto exits cleanly on SIGTERM, so a launcher
    // such as callgrind writes its profile.
    void stop(std::chrono::milliseconds grace) { process_->stop(grace); }

  private:
    int port_ = 0;
    int tls_port_ = 0;
    std::unique_ptr<test::Process> process_;
};

// mosquitto's own bridge as the benches configure it: everything published under `bridge/`
// forwarded, remapped to `far/`, at QoS 1 over TLS (CA verified) to the far end's TLS port.
std::string bridge_connection(int far_tls_port, const std::string& ca_file);

// Where hubgate's device sessions go: hubsim, or any TLS MQTT broker that accepts them.
struct HubEndpoint {
    std::string hostname;    // [hub] hostname: in the SAS tokens and usernames, checked in TLS
    int mqtts_port = 0;      // on 127.0.0.1
    std::string ca_file;     // verifies the far end's certificate
    std::string policy_key;  // base64; signs the "device" policy's SAS tokens
};
HubEndpoint hub_endpoint(test::HubsimFixture& hub);

// hubgate as a bench runs it: policy auth against `hub`, the bench mapping (devices "{dev}":
// telemetry from local "b/{dev}/telemetry"; method requests to "b/{dev}/rpc/{method}/{rid}",
// answered on ".../reply/{status}"), the given start-up devices and connect rate.
struct HubgateOptions {
    int local_port = 0;
    std::vector<std::string> startup_devices{};
    double connect_rate = 100000;
    std::string log_level = "info";       // the start is detected from an info line
    std::vector<std::string> launcher{};  // prepended to the command (e.g. valgrind ...)
};
std::unique_ptr<test::Process> start_hubgate(const test::ScratchDir& dir, const HubEndpoint& hub,
                                             const HubgateOptions& options);
std::unique_ptr<test::Process> start_hubgate(const test::ScratchDir& dir, test::HubsimFixture& hub,
                                             const HubgateOptions& options);

// The local topic a bench device publishes telemetry on, and its hub-side device id.
std::string device_id(int index);
std::string local_topic(const std::string& device);

// The highest telemetry sequence hubsim has assigned (messages received so far).
uint64_t hub_telemetry_count(const test::HubsimFixture& hub);
// How many of hubsim's devices are connected now.
int hub_connected_count(const test::HubsimFixture& hub);

// Resident memory of a process in KiB (VmRSS), 0 when unreadable.
long vm_rss_kib(pid_t pid);
// CPU time (user + system, seconds) a process and its living descendants have used so far.
double cpu_seconds(pid_t pid);
// Kills the process groups of every child started through this file (brokers, hubgate, hubsim)
// when the benchmark itself gets SIGINT, SIGTERM or SIGHUP, then exits: a benchmark stopped by
// `timeout` or Ctrl-C leaves nothing running. Call once at the start of main.
void kill_children_on_signal();
void watch_child(pid_t pid);  // what start_hubgate, Broker and the benches register
// Raises the soft open-files limit to the hard one (children inherit it).
void raise_open_files_limit();

// The q-quantile (0..1) of `samples` (sorted in place), nearest rank.
double quantile(std::vector<double>& samples, double q);

}  // namespace hubgate::bench
