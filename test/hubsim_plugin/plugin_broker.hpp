#pragma once
// Test fixture: a private mosquitto loaded with hubsim_plugin.so on free loopback ports, with a
// throwaway CA and server certificate (openssl CLI), a registry of test devices and policies,
// and a client for its HTTPS service API.

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "harness/process.hpp"
#include "harness/scratch_dir.hpp"
#include "raw_mqtt_client.hpp"

namespace hubsim::test {

using nlohmann::json;

// An HTTP status and its JSON body.
struct ServiceReply {
    int status = 0;
    json body;
    std::string content_type;
};

class PluginBroker {
  public:
    struct Options {
        bool max_qos_1 = true;  // as `hubsim run` writes it; false exercises the plugin's own check
        // A second listener with require_certificate, and device x509dev registered by the
        // thumbprint of a client certificate issued by the test CA.
        bool x509_listener = false;
    };
    static constexpr const char* kHostname = "hubsim.azure-devices.net";

    explicit PluginBroker(Options options);
    PluginBroker() : PluginBroker(Options{}) {}

    int mqtt_port() const { return mqtt_port_; }
    int https_port() const { return https_port_; }
    int x509_port() const { return x509_port_; }
    // The x509dev client certificate and key (Options::x509_listener).
    std::string device_cert() const { return dir_.path().string() + "/x509dev.pem"; }
    std::string device_cert_key() const { return dir_.path().string() + "/x509dev.key"; }
    const std::string& ca_file() const { return ca_file_; }
    hubgate::test::Process& process() { return *broker_; }

    // Registered: dev1, dev2 (keys), off1 (disabled); policies iothubowner, device, reader.
    std::string device_key(const std::string& id) const;
    std::string secondary_key() const;
    std::string policy_key() const;
    static std::string username(const std::string& id);
    // A device token signed with `key` (default: the device's primary key).
    std::string token(const std::string& id, std::chrono::seconds ttl = std::chrono::hours(1),
                      std::optional<std::string> key = std::nullopt,
                      std::optional<std::string> policy = std::nullopt,
                      std::optional<std::string> resource = std::nullopt) const;

    // A raw client that has connected (CONNACK 0 required) as device `id`.
    std::unique_ptr<RawMqttClient> connect_device(const std::string& id, bool clean_session = true);
    // A raw client that connected and subscribed to `filters` (all granted).
    std::unique_ptr<RawMqttClient> subscribed_device(const std::string& id,
                                                     const std::vector<std::string>& filters,
                                                     bool clean_session = true);

    // The service API, authenticated as iothubowner.
    ServiceReply call(const std::string& method, const std::string& path,
                      const json& body = nullptr) const;
    // Waits until the connection log has `event` for `device` (counting from entry `from`).
    bool wait_for_event(const std::string& device, const std::string& event,
                        std::chrono::milliseconds timeout = std::chrono::seconds(10),
                        size_t from = 0) const;
    size_t log_size() const;
    json last_event(const std::string& device, const std::string& event) const;

  private:
    hubgate::test::ScratchDir dir_{"hubsim-plugin-test"};
    std::string ca_file_;
    int mqtt_port_ = 0;
    int https_port_ = 0;
    int x509_port_ = 0;
    std::string dev1_key_, dev2_key_, secondary_key_, policy_key_;
    std::unique_ptr<hubgate::test::Process> broker_;
};

}  // namespace hubsim::test
