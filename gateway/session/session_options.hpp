#pragma once
// Settings for device sessions and the session manager. The daemon fills these from its config;
// this module does not read files of its own except the certificate/key paths handed to TLS.

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>

#include "gateway/session/retry_policy.hpp"
#include "gateway/session/token_renewal.hpp"

namespace hubgate::session {

enum class Transport { Mqtt, MqttWebSocket };
enum class AuthMode { Policy, DeviceKey, X509 };

// A per-device client certificate and its private key (PEM files).
struct X509Files {
    std::string cert_file;
    std::string key_file;
};

// How sessions authenticate. Secrets stay here, never in logs.
struct AuthOptions {
    AuthMode mode = AuthMode::Policy;
    std::string policy_name = "device";  // skn, for AuthMode::Policy
    std::string policy_key;              // base64, for AuthMode::Policy
    // Per-device key (base64), for AuthMode::DeviceKey; nullopt when the device has none.
    std::function<std::optional<std::string>(const std::string& device_id)> device_key;
    // Per-device certificate and key, for AuthMode::X509; nullopt when the device has none.
    std::function<std::optional<X509Files>(const std::string& device_id)> device_cert;
    // Called (on the session manager's thread) when the hub refuses a device's credentials
    // (CONNACK 4 or 5); optional. DPS provisioning registers the device again.
    std::function<void(const std::string& device_id)> on_refused;
    // Called (on the same thread) when the hub accepted a device's connection; optional. DPS
    // provisioning learns that the device's assignment works.
    std::function<void(const std::string& device_id)> on_accepted;
    std::chrono::seconds token_ttl{3600};
};

// The hub of one device when it is not hub_hostname (DPS assigned it elsewhere).
struct DeviceHub {
    std::string hostname;      // in the username and the token's resource URI
    std::string connect_host;  // "host[:port]" to connect to; empty = hostname
};

// What one upstream connection looks like (shared by every device session).
struct SessionOptions {
    std::string hub_hostname;  // goes into usernames and token resource URIs
    std::string connect_host;  // "host[:port]" to connect to instead; empty = hub_hostname
    // A device's own hub, asked before each CONNECT (a session belongs to a hub and a device);
    // unset or nullopt: hub_hostname and connect_host.
    std::function<std::optional<DeviceHub>(const std::string& device_id)> device_hub;
    Transport transport = Transport::Mqtt;
    std::string ca_file;     // trust anchors for the hub's certificate; verification is always on
    std::string http_proxy;  // "http://host:port"; empty = direct
    AuthOptions auth;
    std::string api_version = "2021-04-12";
    std::string model_id;  // IoT Plug and Play model id; empty = none
    std::chrono::seconds keep_alive{240};
    std::chrono::seconds connect_timeout{30};
    int telemetry_qos = 1;  // 0 or 1; the hub closes the connection on QoS 2
    RenewalOptions renewal;
    BackoffOptions reconnect_backoff;
    // Wait after a refusal for bad credentials (CONNACK 4/5): long, credentials rarely heal fast.
    BackoffOptions refused_backoff{std::chrono::minutes(5), std::chrono::minutes(30), 2.0};
    BackoffOptions twin_backoff{Millis(500), std::chrono::seconds(30), 2.0};
    Millis twin_timeout{std::chrono::seconds(60)};
    int twin_max_attempts = 6;
    // `replaced_losses` losses of an established connection within `replaced_window`, each
    // closed by the hub and none shared with many other sessions at once (within
    // `shared_close_radius`), are taken as another connection owning the device id (IoT Hub
    // closes the older of two connections with one id): the session lets go instead of fighting
    // for the id. A hub restart or a network drop closes a large part of the fleet together and
    // never counts; neither does a keep-alive timeout (hubgate's own doing).
    Millis replaced_window{std::chrono::seconds(60)};
    unsigned replaced_losses = 3;
    Millis shared_close_radius{std::chrono::seconds(1)};
    // How long a replaced session waits before it tries once more: the other owner may have
    // been a one-off (a test client, a moved device), and a session that never retried would
    // stay offline until an operator restarted it.
    Millis replaced_retry{std::chrono::minutes(10)};
};

// What a device's mapping needs from its session: the subscriptions and the method timeout.
struct DeviceNeeds {
    bool c2d = false;
    bool methods = false;
    bool desired = false;
    bool twin = false;  // twin GET / reported PATCH round trips (implied by desired)

    bool downlink() const { return c2d || methods || desired; }
};

// Session manager pacing and lifetime.
struct ManagerOptions {
    double connect_rate = 50;  // new connections per second across all devices; 0 = unlimited
    double connect_burst = 0;  // 0 = max(1, connect_rate / 10)
    // Connects under way at once (TCP, TLS handshake, CONNACK); the rest wait for a slot. Many
    // thousands of simultaneous handshakes overflow the hub's accept queue, and dropped SYNs
    // are retried only after 1, 3, 7... seconds.
    std::size_t max_connecting = 100;
    double twin_read_rate = 50;                      // twin GETs per second
    double twin_update_rate = 25;                    // reported PATCHes per second
    Millis throttle_hold{std::chrono::seconds(30)};  // how long a 429 slows a bucket down
    Millis idle_timeout{std::chrono::minutes(10)};   // close a session with no downlink after this
    Millis tick{100};                                // timer resolution of the manager's loop
};

}  // namespace hubgate::session
