#pragma once
// HubsimFixture: one private IoT Hub emulator per test. It writes a hubsim config (the devices
// and policies the test asks for) into a ScratchDir, starts `hubsim run`, waits for its ready line,
// and offers a service client for the HTTPS API (authenticated as iothubowner). Include as
// "hubsim_fixture/hubsim_fixture.hpp"; link `hubgate_hubsim_fixture`.
//
//   HubsimFixture hub({.devices = {{.id = "dev1"}}});
//   auto twin = hub.get_twin("dev1");             // twin.status == 200, twin.body["properties"]...
//   auto sent = hub.wait_for_telemetry("dev1", 1); // blocks (bounded) until one message arrived
//   hub.stop();                                    // a hub outage: the ports refuse connections
//   hub.restart();                                 // same ports, CA, registry; fresh hub state

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/process.hpp"
#include "harness/scratch_dir.hpp"

namespace hubgate::test {

using nlohmann::json;
using namespace std::chrono_literals;

// A device identity of the hubsim registry. Empty keys are generated (random, base64).
struct HubsimDevice {
    std::string id{};
    std::string primary_key{};
    std::string secondary_key{};
    std::string status = "enabled";  // "enabled" | "disabled"
};

// A shared access policy. Empty key: generated.
struct HubsimPolicy {
    std::string name{};
    std::string key{};
    std::vector<std::string>
        rights{};  // RegistryRead, RegistryWrite, ServiceConnect, DeviceConnect
};

// What the emulator is started with.
struct HubsimOptions {
    std::string hostname = "hubsim.azure-devices.net";
    std::vector<HubsimDevice> devices{};
    // An "iothubowner" policy with every right is always added (unless one of that name is given).
    std::vector<HubsimPolicy> policies{};
    std::string extra_toml{};                  // appended to the generated config verbatim
    std::map<std::string, std::string> env{};  // extra environment for `hubsim run`
    std::filesystem::path hubsim_binary{};     // default: HUBGATE_BIN_DIR/hubsim
    std::filesystem::path plugin{};            // default: HUBGATE_LIB_DIR/hubsim_plugin.so
    std::chrono::milliseconds ready_timeout = 30s;
};

// An HTTPS answer: status, Content-Type, and the body parsed as JSON (null when empty or not JSON;
// `text` keeps the raw body).
struct HubsimResponse {
    int status = 0;  // 0: no answer (connection failed)
    std::string content_type{};
    json body{};
    std::string text{};
    bool ok() const { return status >= 200 && status < 300; }
};

// A C2D message for send_c2d (POST /hubsim/devices/{id}/messages).
struct HubsimC2d {
    std::string payload{};
    std::map<std::string, std::string> properties{};
    std::optional<std::string> message_id{};
    std::optional<std::string> correlation_id{};
    std::optional<int> ttl_seconds{};
};

struct HubPorts;  // the ports named in the config file

class HubsimFixture {
  public:
    // Starts hubsim and waits for it to be ready; throws std::runtime_error (with hubsim's
    // output) when it does not become ready in time.
    explicit HubsimFixture(HubsimOptions options = {});
    ~HubsimFixture();  // stops hubsim (SIGTERM, then SIGKILL) and removes its folder
    HubsimFixture(const HubsimFixture&) = delete;
    HubsimFixture& operator=(const HubsimFixture&) = delete;

    // An outage: SIGTERM to hubsim, then waits (bounded; SIGKILL after `grace`) until it and its
    // broker exited, so the ports are closed. Everything the hub held in memory is gone (hubsim
    // has no persistence): read telemetry you need before calling this. No-op when stopped.
    void stop(std::chrono::milliseconds grace = 20s);
    // Starts `hubsim run` again with the same config file, state dir (so the same CA and server
    // certificate), registry, keys and ports, and waits until it is ready. A port still held by
    // the previous run is waited for, and a start that loses the port to a race is retried, both
    // within `ready_timeout` of the options. Throws std::runtime_error (with hubsim's output) when
    // it does not become ready or would present a different CA. Devices added through the API
    // since the first start are gone, as is all other hub state.
    void restart();
    bool running() const { return running_; }

    // Where and how to reach it.
    const std::string& hostname() const { return hostname_; }
    int mqtts_port() const { return mqtts_port_; }
    int wss_port() const { return wss_port_; }
    int https_port() const { return https_port_; }
    // The Device Provisioning Service's MQTT listener (TLS, same CA; see docs/hubsim.md).
    int dps_port() const { return dps_port_; }
    // The hub listener that asks for a client certificate (X.509 devices; docs/hubsim.md).
    int x509_port() const { return x509_port_; }
    // The DPS listener that asks for a client certificate (X.509 attestation).
    int dps_x509_port() const { return dps_x509_port_; }
    // The MQTT TLS port of a [[hubs]] hub of extra_toml, by host name (from the ready line's
    // hubs= field; picked afresh at each start unless the table fixes mqtts_port). Throws when
    // there is no such hub.
    int extra_hub_port(const std::string& hostname) const;
    const std::map<std::string, int>& extra_hub_ports() const { return extra_hub_ports_; }
    const std::filesystem::path& ca_file() const { return ca_file_; }
    const std::filesystem::path& config_file() const { return config_file_; }
    const std::filesystem::path& state_dir() const { return state_dir_; }
    Process& process() { return *process_; }  // the current (or last) `hubsim run`
    // The output of every earlier `hubsim run` of this fixture (before restarts).
    const std::string& earlier_output() const { return earlier_output_; }

    // Credentials (the registry as configured; keys generated when the test gave none).
    const HubsimDevice& device(const std::string& id) const;  // throws when unknown
    const HubsimPolicy& policy(const std::string& name) const;
    // "{hostname}/{id}/?api-version=2021-04-12": the MQTT username of a device.
    std::string device_username(const std::string& id) const;
    // A device SAS token signed with the device's primary key (or the given key).
    std::string device_token(const std::string& id, std::chrono::seconds ttl = 1h,
                             const std::optional<std::string>& key = {}) const;
    // A service token ("sr={hostname}", skn=policy), as sent in the Authorization header.
    std::string service_token(std::chrono::seconds ttl = 1h,
                              const std::string& policy = "iothubowner") const;
    // The same for another hub of this hubsim ([[hubs]]): the API serves the hub sr= names.
    std::string service_token_for(const std::string& hub_hostname, std::chrono::seconds ttl = 1h,
                                  const std::string& policy = "iothubowner") const;
    // "HostName=...;DeviceId=...;SharedAccessKey=...;GatewayHostName=127.0.0.1:{mqtts_port}".
    std::string connection_string(const std::string& id) const;

    // Any HTTPS call. `authorization`: the Authorization header; default a fresh owner token;
    // an empty string sends no header. `api-version=2021-04-12` is added to the path.
    HubsimResponse request(const std::string& method, const std::string& path,
                           const std::optional<json>& body = {},
                           const std::optional<std::string>& authorization = {}) const;

    // Registry.
    HubsimResponse get_device(const std::string& id) const;
    HubsimResponse put_device(const std::string& id, const json& identity) const;
    HubsimResponse delete_device(const std::string& id) const;
    HubsimResponse list_devices() const;

    // Twins: `patch` is a twin document, e.g. {"properties":{"desired":{"x":1}}}.
    HubsimResponse get_twin(const std::string& id) const;
    HubsimResponse patch_twin(const std::string& id, const json& patch) const;
    HubsimResponse replace_twin(const std::string& id, const json& twin) const;

    // Direct method; body {"status":N,"payload":...} on 200.
    HubsimResponse invoke_method(const std::string& id, const std::string& method,
                                 const json& payload = nullptr, int timeout_seconds = 30) const;

    // Emulator-only endpoints.
    HubsimResponse send_c2d(const std::string& id, const HubsimC2d& message) const;
    HubsimResponse c2d_state(const std::string& id) const;
    // GET /hubsim/telemetry?after=N&wait=S[&device=ID]: {"messages":[...],"last":N}.
    HubsimResponse telemetry(uint64_t after = 0, std::chrono::seconds wait = 0s,
                             const std::optional<std::string>& device = {}) const;
    // Long-polls until at least `count` messages (of `device`, or of any device when empty) with
    // sequence > `after` were recorded, or `timeout` passed; returns those seen (maybe fewer).
    std::vector<json> wait_for_telemetry(const std::string& device, size_t count,
                                         std::chrono::milliseconds timeout = 20s,
                                         uint64_t after = 0) const;
    HubsimResponse connections() const;
    // Waits (polling /hubsim/connections, bounded) until `device` is connected (or not).
    bool wait_for_connected(const std::string& device, bool connected = true,
                            std::chrono::milliseconds timeout = 20s) const;
    HubsimResponse kick(const std::string& id) const;
    // {"twinThrottleSeconds","refuseConnects","connectRate","pubackDelayMs"}
    HubsimResponse set_faults(const json& faults) const;
    HubsimResponse faults() const;

    // A fresh random base64 key (32 bytes), like the keys IoT Hub generates.
    static std::string random_key();

  private:
    // Writes the config file (ports as given; 0: hubsim picks free ones).
    void write_config(const HubPorts& ports);
    // Starts `hubsim run` once and reads its ready line; false, with its output in `why`, when
    // it exited or was not ready within `timeout`.
    bool start_once(std::chrono::milliseconds timeout, std::string& why);

    std::string hostname_;
    std::vector<HubsimDevice> devices_;
    std::vector<HubsimPolicy> policies_;
    std::unique_ptr<ScratchDir> dir_;
    std::filesystem::path config_file_;
    std::filesystem::path state_dir_;
    std::filesystem::path ca_file_;
    int mqtts_port_ = 0;
    int wss_port_ = 0;
    int https_port_ = 0;
    int dps_port_ = 0;
    int x509_port_ = 0;
    int dps_x509_port_ = 0;
    std::map<std::string, int> extra_hub_ports_;
    std::string extra_toml_;
    std::map<std::string, std::string> env_;
    std::filesystem::path binary_;
    std::filesystem::path plugin_;
    std::chrono::milliseconds ready_timeout_ = 30s;
    std::unique_ptr<Process> process_;
    bool running_ = false;
    std::string earlier_output_;
};

}  // namespace hubgate::test
