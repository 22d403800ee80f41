#pragma once
// hubgate's configuration as typed values, loaded from hubgate.toml and validated against the
// schema table (gateway/config/schema.cpp, the one place every key is declared). Every problem
// found is reported as a Diagnostic with file:line:col; loading never stops at the first one.
//
// Conventions for the values below:
// - Durations are std::chrono::milliseconds; a zero duration means "off" where a key says so.
// - Sizes are bytes (uint64_t).
// - Paths are absolute: relative paths in the file are resolved against the config file's folder
//   ("%d/NAME" in a secret-file key means $CREDENTIALS_DIRECTORY/NAME, see docs/configuration.md).
// - Patterns ("{device}" in x509 and per-device key files) are kept as text, unexpanded.
// - An empty path or string means "not set" for optional keys.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace hubgate::config {

using Duration = std::chrono::milliseconds;

// Where a key or table appears in a file. line/col are 1-based; 0 means "no position" (for
// example a required table that is missing entirely).
struct SourcePos {
    std::filesystem::path file;
    uint32_t line = 0;
    uint32_t col = 0;
};

// One problem found while loading or checking a config, mapping or plugin file.
struct Diagnostic {
    std::filesystem::path file;
    uint32_t line = 0;
    uint32_t col = 0;
    std::string key_path;  // "hub.hostname", "plugins.csv.file", "mappings[2]"; may be empty
    std::string message;
};

// "file:line:col: key.path: message" (the key path part is left out when empty; line:col are left
// out when there is no position).
std::string format_diagnostic(const Diagnostic& diagnostic);

// A host and port ("hub.example.net:8883", "[::1]:9100").
struct Endpoint {
    std::string host;
    uint16_t port = 0;
    std::string to_string() const;  // host:port, with brackets around an IPv6 host
    bool operator==(const Endpoint&) const = default;
};

// Upstream protocol: MQTT over TLS on 8883, or MQTT over WebSocket over TLS on 443.
enum class Transport { Mqtt, MqttWs };

// The port IoT Hub (and DPS, MQTT only) listens on for a transport.
constexpr uint16_t default_port(Transport transport) {
    return transport == Transport::MqttWs ? 443 : 8883;
}

// How device sessions authenticate to IoT Hub.
enum class AuthMode {
    Policy,      // one shared access policy key with DeviceConnect (skn=policy_name)
    DeviceKeys,  // one symmetric key per device
    X509,        // one certificate and private key per device
};

// How devices come to exist in IoT Hub.
enum class ProvisioningMode {
    None,             // registered beforehand; [auth] says how they authenticate
    DpsSymmetricKey,  // registered by the Device Provisioning Service, group enrollment key
    DpsX509,          // group enrollment with a CA hubgate holds: a leaf per device
};

// Log output format, see gateway/log/log.hpp.
enum class LogFormat { Auto, Human, Journal };

// [hub]: the IoT Hub the device sessions connect to.
struct HubConfig {
    std::string hostname;   // goes into usernames and SAS resource URIs
    Endpoint connect_host;  // always set: the configured value, else hostname:8883 / hostname:443
    Transport transport = Transport::Mqtt;
    std::filesystem::path ca_file;
    std::string proxy;  // "http://host:port" (mqtt-ws only); empty: no proxy
    std::string api_version;
    std::string model_id;  // IoT Plug and Play model id, empty: none
    Duration keepalive{};
};

// [auth]: device session credentials.
struct AuthConfig {
    AuthMode mode = AuthMode::Policy;
    std::string policy_name;                 // policy mode
    std::filesystem::path key_file;          // policy mode: the policy key, base64 text
    std::filesystem::path device_keys_file;  // device-keys mode: TOML table device id = base64 key
    std::string device_key_file;             // device-keys mode: per-device key file pattern
    std::string cert_file;                   // x509 mode: certificate pattern with {device}
    std::string cert_key_file;               // x509 mode: private key pattern with {device}
    Duration token_ttl{};
    double renew_at = 0;  // fraction of token_ttl after which a token is renewed (0 < x < 1)
};

// [provisioning]: onboarding devices through the Device Provisioning Service (DPS).
struct ProvisioningConfig {
    ProvisioningMode mode = ProvisioningMode::None;
    std::string id_scope;
    std::string global_endpoint;    // the DPS host name (TLS name and SNI)
    Endpoint connect_host;          // always set: the configured value, else global_endpoint:8883
    std::filesystem::path ca_file;  // empty: the system trust store
    std::filesystem::path group_key_file;  // the enrollment group's key, base64 text
    // dps-x509: the group's (intermediate) CA that issues each device's leaf certificate.
    std::filesystem::path ca_cert_file;  // PEM: the CA certificate, then its chain
    std::filesystem::path ca_key_file;   // PEM private key (secret file)
    Duration leaf_lifetime{};            // of each leaf certificate
    Duration leaf_renew_before{};        // a leaf is issued again this long before its end
    double registration_rate = 0;        // registrations started per second, across devices
    std::string payload_json;            // custom allocation data, "{device}" rendered; empty: none
    // "hub-host-name=host[:port]": where sessions of devices on other hubs than [hub] connect
    // (hub_connect_hosts.hpp); a hub not listed: its host name.
    std::vector<std::string> hub_connect_hosts;
    bool enabled() const { return mode != ProvisioningMode::None; }
};

// [local.tls]: TLS to the local broker; off when every path is empty.
struct LocalTlsConfig {
    std::filesystem::path ca_file;
    std::filesystem::path cert_file;
    std::filesystem::path key_file;
    bool enabled() const { return !ca_file.empty() || !cert_file.empty(); }
};

// [local]: the local MQTT broker the legacy devices publish to.
struct LocalConfig {
    std::string host;
    uint16_t port = 0;
    std::string client_id;
    std::string username;                 // empty: anonymous
    std::filesystem::path password_file;  // read when username is set
    LocalTlsConfig tls;
    Duration keepalive{};
    int qos = 1;  // subscription QoS
    // Local messages taken whose PUBACKs the broker has not confirmed processing; 0: no bound.
    uint32_t max_unconfirmed = 0;
};

// [sessions.backoff]: reconnect back-off bounds (capped exponential with full jitter).
struct BackoffConfig {
    Duration min{};
    Duration max{};
};

// [sessions]: the session manager's pacing and lifetime settings.
struct SessionsConfig {
    double connect_rate = 0;      // new device connections per second, across all devices
    double twin_read_rate = 0;    // twin GETs per second, across all devices
    double twin_update_rate = 0;  // reported-property PATCHes per second, across all devices
    BackoffConfig backoff;
    Duration refused_backoff{};  // wait after a refusal for bad credentials
    Duration replaced_retry{};   // wait after another connection took a device's id
    Duration idle_timeout{};     // close a session idle this long (no downlink needed); 0: never
    std::vector<std::string> startup_devices;  // device ids connected at start-up
    bool connect_seen_devices = false;         // also connect at start-up every device seen before
    uint32_t max_inflight = 0;                 // unacknowledged upstream messages per device
};

// [spool]: the durable per-device message store.
struct SpoolConfig {
    std::filesystem::path dir;
    uint64_t max_size = 0;  // bytes
    Duration ttl{};         // older messages are dropped (counted)
};

// [state]: persistent daemon state (remembered device captures, kept desired properties).
struct StateConfig {
    std::filesystem::path dir;
};

struct ParsedDocument;  // parsed_document.hpp: the TOML tree, private to the config library

// [plugins.<name>]: one plugin to load.
struct PluginConfig {
    std::string name;
    std::filesystem::path file;  // the shared library (relative: against plugins.dir)
    std::string config_json;     // the [plugins.<name>.config] table as JSON text ("{}" if absent)
    SourcePos where;             // the [plugins.<name>] table, for the loader's diagnostics
};

// [plugins]: the plugin directory and the plugins in the order they appear in the file.
struct PluginsConfig {
    std::filesystem::path dir;
    std::vector<PluginConfig> plugins;
};

// [log]
struct LogConfig {
    std::string level;  // trace, debug, info, warn, error, critical, off
    LogFormat format = LogFormat::Auto;
};

// [control]: the unix control socket of `hubgate status`.
struct ControlConfig {
    std::filesystem::path socket;
};

// [metrics]: the Prometheus endpoint; off unless `listen` is set.
struct MetricsConfig {
    std::optional<Endpoint> listen;  // a bare port means 127.0.0.1:port
    bool per_device = false;         // also hubgate_device_* series, labelled by device
    uint32_t per_device_limit = 0;   // devices with series of their own; the rest are counted
};

// The whole configuration. Use load_config() or defaults(); a value-initialized Config does not
// carry the documented defaults (they are declared once, in the schema table).
struct Config {
    std::filesystem::path source_file;  // the file it was loaded from (absolute)
    std::filesystem::path base_dir;     // its folder, against which relative paths were resolved

    HubConfig hub;
    AuthConfig auth;
    ProvisioningConfig provisioning;
    LocalConfig local;
    SessionsConfig sessions;
    SpoolConfig spool;
    StateConfig state;
    std::vector<std::filesystem::path> mappings;  // glob patterns of mapping files, absolute
    PluginsConfig plugins;
    LogConfig log;
    ControlConfig control;
    MetricsConfig metrics;

    // Where each key present in the file was set ("hub.hostname", "mappings[0]", "plugins.csv"),
    // so later validators (mapping files, plugins) can point at the config line they come from.
    std::map<std::string, SourcePos> positions;
    SourcePos position_of(const std::string& key_path) const;  // {source_file, 0, 0} if absent

    // The parsed file, for checks that can only run once a plugin is opened (its declared
    // settings, plugin_settings.hpp) and still point at lines. Null for defaults().
    std::shared_ptr<const ParsedDocument> document;
};

// Every key's documented default, with required keys empty.
Config defaults();

// Whether the file could be read and parsed into a valid config.
enum class LoadStatus {
    Ok,          // valid: diagnostics is empty
    Invalid,     // read, but has faults: every one is in diagnostics
    Unreadable,  // could not be opened or read (missing, permission): one diagnostic says why
};

struct LoadResult {
    LoadStatus status = LoadStatus::Ok;
    Config config;  // filled as far as possible even when Invalid
    std::vector<Diagnostic> diagnostics;
    bool ok() const { return status == LoadStatus::Ok; }
};

// Reads, parses and validates a config file (TOML syntax, schema, cross-field and file checks).
LoadResult load_config(const std::filesystem::path& file);

// The same for text already in memory; `file` names it in diagnostics and gives the folder
// relative paths are resolved against.
LoadResult parse_config(std::string_view text, const std::filesystem::path& file);

}  // namespace hubgate::config
