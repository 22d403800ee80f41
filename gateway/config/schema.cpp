// The schema table. To add a key: add a field to config.hpp, a row here, and regenerate
// docs/configuration.md (`hubgate check --print-reference`); a unit test fails until you do.
#include "gateway/config/schema.hpp"

#include <algorithm>
#include <array>
#include <type_traits>

#include "gateway/config/device_keys.hpp"
#include "gateway/config/hub_connect_hosts.hpp"
#include "gateway/config/units.hpp"

namespace hubgate::config {

namespace {

using namespace std::chrono_literals;

// Stores a converted value into a field of the matching C++ type.
template <class T>
void store(T& field, const Value& value) {
    if constexpr (std::is_enum_v<T>) {
        field = static_cast<T>(std::get<int64_t>(value));
    } else if constexpr (std::is_same_v<T, std::optional<Endpoint>>) {
        field = std::get<Endpoint>(value);
    } else if constexpr (std::is_same_v<T, uint16_t> || std::is_same_v<T, uint32_t> ||
                         std::is_same_v<T, int>) {
        field = static_cast<T>(std::get<int64_t>(value));
    } else {
        field = std::get<T>(value);
    }
}

// to<&Config::hub, &HubConfig::hostname>(): an assign function for that field.
template <auto... Members>
std::function<void(Config&, const Value&)> to() {
    return [](Config& config, const Value& value) { store((config.*....*Members), value); };
}

using Check = std::function<std::string(const Value&)>;

Check duration_between(Duration low, Duration high) {
    return [=](const Value& v) -> std::string {
        const auto d = std::get<Duration>(v);
        if (d < low || d > high) {
            return "must be between " + format_duration(low) + " and " + format_duration(high);
        }
        return {};
    };
}

Check duration_at_least(Duration low) {
    return [=](const Value& v) -> std::string {
        return std::get<Duration>(v) < low ? "must be at least " + format_duration(low)
                                           : std::string();
    };
}

Check size_at_least(uint64_t low) {
    return [=](const Value& v) -> std::string {
        return std::get<uint64_t>(v) < low ? "must be at least " + format_size(low) : std::string();
    };
}

Check integer_between(int64_t low, int64_t high) {
    return [=](const Value& v) -> std::string {
        const auto n = std::get<int64_t>(v);
        if (n < low || n > high) {
            return "must be between " + std::to_string(low) + " and " + std::to_string(high);
        }
        return {};
    };
}

Check positive_number() {
    return [](const Value& v) -> std::string {
        return std::get<double>(v) > 0 ? std::string() : "must be greater than 0";
    };
}

Check open_fraction() {
    return [](const Value& v) -> std::string {
        const double x = std::get<double>(v);
        return x > 0 && x < 1 ? std::string() : "must be greater than 0 and less than 1";
    };
}

Check not_empty() {
    return [](const Value& v) -> std::string {
        return std::get<std::string>(v).empty() ? "must not be empty" : std::string();
    };
}

bool is_host_name(std::string_view s) {
    if (s.empty() || s.size() > 253 || s.front() == '.' || s.front() == '-')
        return false;
    return std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '.';
    });
}

Check host_name() {
    return [](const Value& v) -> std::string {
        return is_host_name(std::get<std::string>(v))
                   ? std::string()
                   : "must be a host name such as \"myhub.azure-devices.net\" (no scheme, no "
                     "port, no path)";
    };
}

Check endpoint_with_host() {
    return [](const Value& v) -> std::string {
        return std::get<Endpoint>(v).host.empty() ? "needs a host: \"host\" or \"host:port\""
                                                  : std::string();
    };
}

Check endpoint_with_port() {
    return [](const Value& v) -> std::string {
        return std::get<Endpoint>(v).port == 0 ? "needs a port: \"port\" or \"host:port\""
                                               : std::string();
    };
}

Check http_proxy() {
    return [](const Value& v) -> std::string {
        const auto& s = std::get<std::string>(v);
        if (s.empty())
            return {};
        const std::string_view rest = std::string_view(s).substr(s.starts_with("http://") ? 7 : 0);
        const auto colon = rest.rfind(':');
        const bool ok = s.starts_with("http://") && colon != std::string_view::npos && colon > 0 &&
                        colon + 1 < rest.size() && rest.find('/') == std::string_view::npos;
        return ok ? std::string() : "must look like \"http://host:port\"";
    };
}

Check model_id() {
    return [](const Value& v) -> std::string {
        const auto& s = std::get<std::string>(v);
        if (s.empty() || (s.starts_with("dtmi:") && s.find(';') != std::string::npos))
            return {};
        return "must be a DTMI such as \"dtmi:com:example:Thermostat;1\"";
    };
}

Check api_version() {
    return [](const Value& v) -> std::string {
        const auto& s = std::get<std::string>(v);
        const bool ok = !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
            return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '-';
        });
        return ok ? std::string() : "must look like \"2021-04-12\"";
    };
}

Check plugin_name() {
    return [](const Value& v) -> std::string {
        const auto& s = std::get<std::string>(v);
        const bool ok = !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   c == '-' || c == '_';
        });
        return ok ? std::string() : "plugin names use letters, digits, '-' and '_' only";
    };
}

Check device_ids() {
    return [](const Value& v) -> std::string {
        for (const auto& id : std::get<std::vector<std::string>>(v)) {
            if (!is_valid_device_id(id)) {
                return "\"" + id +
                       "\" is not a valid IoT Hub device id (1 to 128 ASCII letters, digits and "
                       "- . % _ * ? ! ( ) , : = @ $ ')";
            }
        }
        return {};
    };
}

Check hub_connect_hosts() {
    return [](const Value& v) -> std::string {
        for (const auto& entry : std::get<std::vector<std::string>>(v)) {
            std::string error;
            if (!parse_hub_connect_host(entry, error))
                return error;
        }
        return {};
    };
}

Check id_scope() {
    return [](const Value& v) -> std::string {
        const auto& s = std::get<std::string>(v);
        const bool ok = !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        });
        return ok ? std::string()
                  : "must be an ID scope such as \"0ne00000A0A\" (letters and digits)";
    };
}

constexpr std::array<std::string_view, 7> kLogLevels{"trace", "debug",    "info", "warn",
                                                     "error", "critical", "off"};

std::vector<KeySpec> build_schema() {
    const uint64_t MiB = 1ULL << 20;
    return {
        // [hub]
        {.path = "hub",
         .kind = Kind::Table,
         .description = "The IoT Hub the device sessions connect to."},
        {.path = "hub.hostname",
         .kind = Kind::String,
         .description = "IoT Hub host name; goes into MQTT usernames and SAS resource URIs.",
         .required = true,
         .check = host_name(),
         .assign = to<&Config::hub, &HubConfig::hostname>()},
        {.path = "hub.connect_host",
         .kind = Kind::HostPort,
         .description =
             "Where to connect when it differs from hostname (hubsim, an IoT Edge parent): "
             "\"host\" or \"host:port\"; the port defaults to 8883 (mqtt) or 443 (mqtt-ws).",
         .check = endpoint_with_host(),
         .assign = to<&Config::hub, &HubConfig::connect_host>()},
        {.path = "hub.transport",
         .kind = Kind::Enum,
         .default_literal = R"("mqtt")",
         .description = "mqtt: MQTT over TLS (8883); mqtt-ws: MQTT over WebSocket over TLS (443).",
         .choices = {"mqtt", "mqtt-ws"},
         .assign = to<&Config::hub, &HubConfig::transport>()},
        {.path = "hub.ca_file",
         .kind = Kind::FilePath,
         .description = "CA certificates (PEM) that verify the hub's certificate; unset: the "
                        "system trust store.",
         .assign = to<&Config::hub, &HubConfig::ca_file>()},
        {.path = "hub.proxy",
         .kind = Kind::String,
         .description =
             "HTTP CONNECT proxy as \"http://host:port\"; only with transport = \"mqtt-ws\".",
         .check = http_proxy(),
         .assign = to<&Config::hub, &HubConfig::proxy>()},
        {.path = "hub.api_version",
         .kind = Kind::String,
         .default_literal = R"("2021-04-12")",
         .description = "IoT Hub API version sent in every MQTT username.",
         .check = api_version(),
         .assign = to<&Config::hub, &HubConfig::api_version>()},
        {.path = "hub.model_id",
         .kind = Kind::String,
         .description =
             "IoT Plug and Play model id (\"dtmi:...;1\") announced in the username; unset: none.",
         .check = model_id(),
         .assign = to<&Config::hub, &HubConfig::model_id>()},
        {.path = "hub.keepalive",
         .kind = Kind::DurationText,
         .default_literal = R"("240s")",
         .description = "MQTT keep-alive of each device session (the hub allows at most 1177s).",
         .check = duration_between(5s, 1177s),
         .assign = to<&Config::hub, &HubConfig::keepalive>()},

        // [auth]
        {.path = "auth",
         .kind = Kind::Table,
         .description = "How each device session authenticates."},
        {.path = "auth.mode",
         .kind = Kind::Enum,
         .default_literal = R"("policy")",
         .description =
             "policy: one shared access policy key for every device; device-keys: one symmetric "
             "key per device; x509: one certificate and key per device.",
         .choices = {"policy", "device-keys", "x509"},
         .assign = to<&Config::auth, &AuthConfig::mode>()},
        {.path = "auth.policy_name",
         .kind = Kind::String,
         .description = "Shared access policy with DeviceConnect permission (mode policy).",
         .assign = to<&Config::auth, &AuthConfig::policy_name>()},
        {.path = "auth.key_file",
         .kind = Kind::SecretPath,
         .description = "The policy's key as base64 text (mode policy). A secret file.",
         .assign = to<&Config::auth, &AuthConfig::key_file>()},
        {.path = "auth.device_keys_file",
         .kind = Kind::SecretPath,
         .description = "TOML file of `\"device id\" = \"base64 key\"` lines (mode device-keys). A "
                        "secret file.",
         .assign = to<&Config::auth, &AuthConfig::device_keys_file>()},
        {.path = "auth.device_key_file",
         .kind = Kind::SecretPattern,
         .description =
             "Per-device key file, a pattern with {device} (mode device-keys; instead of "
             "device_keys_file). Secret files.",
         .assign = to<&Config::auth, &AuthConfig::device_key_file>()},
        {.path = "auth.cert_file",
         .kind = Kind::Pattern,
         .description = "Per-device certificate (PEM), a pattern with {device} (mode x509).",
         .assign = to<&Config::auth, &AuthConfig::cert_file>()},
        {.path = "auth.cert_key_file",
         .kind = Kind::SecretPattern,
         .description =
             "Per-device private key (PEM), a pattern with {device} (mode x509). Secret files.",
         .assign = to<&Config::auth, &AuthConfig::cert_key_file>()},
        {.path = "auth.token_ttl",
         .kind = Kind::DurationText,
         .default_literal = R"("1h")",
         .description = "Lifetime of each SAS token (modes policy and device-keys).",
         .check = duration_between(1min, 8760h),
         .assign = to<&Config::auth, &AuthConfig::token_ttl>()},
        {.path = "auth.renew_at",
         .kind = Kind::Number,
         .default_literal = "0.8",
         .description = "Renew a token after this fraction of its lifetime (jittered per session).",
         .check = open_fraction(),
         .assign = to<&Config::auth, &AuthConfig::renew_at>()},

        // [provisioning]
        {.path = "provisioning",
         .kind = Kind::Table,
         .description = "Onboarding through the Device Provisioning Service: devices need not be "
                        "registered in the hub beforehand."},
        {.path = "provisioning.mode",
         .kind = Kind::Enum,
         .default_literal = R"("none")",
         .description =
             "none: devices are registered in the hub beforehand ([auth] applies); "
             "dps-symmetric-key: each device registers once with DPS, attesting with a key "
             "derived from an enrollment group's key, and then connects to the hub DPS assigned "
             "with that key ([auth].mode is not used); dps-x509: hubgate issues each device a "
             "leaf certificate (CN = registration id) from an enrollment group's CA, registers "
             "with it, and connects to the hub with it ([auth].mode is not used).",
         .choices = {"none", "dps-symmetric-key", "dps-x509"},
         .assign = to<&Config::provisioning, &ProvisioningConfig::mode>()},
        {.path = "provisioning.id_scope",
         .kind = Kind::String,
         .description = "The DPS instance's ID scope (\"0ne...\"); required with DPS.",
         .check = id_scope(),
         .assign = to<&Config::provisioning, &ProvisioningConfig::id_scope>()},
        {.path = "provisioning.global_endpoint",
         .kind = Kind::String,
         .default_literal = R"("global.azure-devices-provisioning.net")",
         .description = "DPS host name; also where to connect, unless connect_host is set.",
         .check = host_name(),
         .assign = to<&Config::provisioning, &ProvisioningConfig::global_endpoint>()},
        {.path = "provisioning.connect_host",
         .kind = Kind::HostPort,
         .description = "Where to connect when it differs from global_endpoint (hubsim's DPS "
                        "port): \"host\" or \"host:port\"; the port defaults to 8883.",
         .check = endpoint_with_host(),
         .assign = to<&Config::provisioning, &ProvisioningConfig::connect_host>()},
        {.path = "provisioning.ca_file",
         .kind = Kind::FilePath,
         .description = "CA certificates (PEM) that verify DPS's certificate; unset: the system "
                        "trust store.",
         .assign = to<&Config::provisioning, &ProvisioningConfig::ca_file>()},
        {.path = "provisioning.group_key_file",
         .kind = Kind::SecretPath,
         .description = "The enrollment group's primary key as base64 text (mode "
                        "dps-symmetric-key). A secret file.",
         .assign = to<&Config::provisioning, &ProvisioningConfig::group_key_file>()},
        {.path = "provisioning.ca_cert_file",
         .kind = Kind::FilePath,
         .description = "The enrollment group's CA certificate (PEM), followed by its chain up to "
                        "the root, which signs each device's leaf certificate (mode dps-x509).",
         .assign = to<&Config::provisioning, &ProvisioningConfig::ca_cert_file>()},
        {.path = "provisioning.ca_key_file",
         .kind = Kind::SecretPath,
         .description = "That CA's private key (PEM, not encrypted; mode dps-x509). A secret "
                        "file.",
         .assign = to<&Config::provisioning, &ProvisioningConfig::ca_key_file>()},
        {.path = "provisioning.leaf_lifetime",
         .kind = Kind::DurationText,
         .default_literal = R"("720h")",
         .description = "Lifetime of each device's leaf certificate (mode dps-x509); kept in "
                        "state.dir/certificates/ (mode 0600) and reused across restarts.",
         .check = duration_between(1h, 87600h),
         .assign = to<&Config::provisioning, &ProvisioningConfig::leaf_lifetime>()},
        {.path = "provisioning.leaf_renew_before",
         .kind = Kind::DurationText,
         .default_literal = R"("168h")",
         .description = "A leaf certificate is issued again when this little of its lifetime is "
                        "left (checked at every connect of the device; mode dps-x509).",
         .check = duration_between(1min, 87600h),
         .assign = to<&Config::provisioning, &ProvisioningConfig::leaf_renew_before>()},
        {.path = "provisioning.registration_rate",
         .kind = Kind::Number,
         .default_literal = "3.33",
         .description = "Registrations started per second, across all devices (several run "
                        "at once). The default (199.8 a minute) keeps to DPS's quota of 200 a "
                        "minute per unit; 429 answers are retried after their retry-after.",
         .check = positive_number(),
         .assign = to<&Config::provisioning, &ProvisioningConfig::registration_rate>()},
        {.path = "provisioning.hub_connect_hosts",
         .kind = Kind::StringList,
         .default_literal = "[]",
         .description =
             "Where the sessions of devices DPS assigned to another hub than [hub] hostname "
             "connect, when not to that hub's host name (hubsim's per-hub ports): entries "
             "\"hub-host-name=host[:port]\"; the port defaults to 8883 (mqtt) or 443 (mqtt-ws). "
             "The username and the SAS token always name the assigned hub.",
         .check = hub_connect_hosts(),
         .assign = to<&Config::provisioning, &ProvisioningConfig::hub_connect_hosts>()},
        {.path = "provisioning.payload",
         .kind = Kind::FreeTable,
         .description = "Custom allocation data sent with each registration (a table, sent as "
                        "JSON); \"{device}\" in its strings becomes the registration id.",
         .assign = to<&Config::provisioning, &ProvisioningConfig::payload_json>()},

        // [local]
        {.path = "local",
         .kind = Kind::Table,
         .description = "The local MQTT broker the legacy devices publish to."},
        {.path = "local.host",
         .kind = Kind::String,
         .default_literal = R"("127.0.0.1")",
         .description = "Local broker host.",
         .check = not_empty(),
         .assign = to<&Config::local, &LocalConfig::host>()},
        {.path = "local.port",
         .kind = Kind::Integer,
         .default_literal = "1883",
         .description = "Local broker port.",
         .check = integer_between(1, 65535),
         .assign = to<&Config::local, &LocalConfig::port>()},
        {.path = "local.client_id",
         .kind = Kind::String,
         .default_literal = R"("hubgate")",
         .description = "MQTT client id; fixed, so the broker keeps hubgate's persistent session.",
         .check = not_empty(),
         .assign = to<&Config::local, &LocalConfig::client_id>()},
        {.path = "local.max_unconfirmed",
         .kind = Kind::Integer,
         .default_literal = "16384",
         .description =
             "Local messages hubgate may take before the local broker has processed the PUBACKs "
             "of earlier ones (checked by an echo through the broker); bounds what the broker "
             "redelivers after a crash. 0: no bound.",
         .check = integer_between(0, 32768),
         .assign = to<&Config::local, &LocalConfig::max_unconfirmed>()},
        {.path = "local.username",
         .kind = Kind::String,
         .description = "Username for the local broker; unset: anonymous.",
         .assign = to<&Config::local, &LocalConfig::username>()},
        {.path = "local.password_file",
         .kind = Kind::SecretPath,
         .description = "File holding the local broker password (needs username). A secret file.",
         .assign = to<&Config::local, &LocalConfig::password_file>()},
        {.path = "local.keepalive",
         .kind = Kind::DurationText,
         .default_literal = R"("60s")",
         .description = "MQTT keep-alive to the local broker.",
         .check = duration_between(5s, 65535s),
         .assign = to<&Config::local, &LocalConfig::keepalive>()},
        {.path = "local.qos",
         .kind = Kind::Integer,
         .default_literal = "1",
         .description =
             "QoS of the subscriptions to the local broker: 1 (at least once) or 0 (at most "
             "once: what arrives while hubgate is away or cannot store it is lost). QoS 2 is "
             "refused: hubgate holds acknowledgements back until a message is stored, which "
             "QoS 2's handshake does not allow.",
         .check = integer_between(0, 1),
         .assign = to<&Config::local, &LocalConfig::qos>()},
        {.path = "local.tls",
         .kind = Kind::Table,
         .description = "TLS to the local broker; off unless ca_file is set."},
        {.path = "local.tls.ca_file",
         .kind = Kind::FilePath,
         .description = "CA certificates (PEM) for the local broker.",
         .assign = to<&Config::local, &LocalConfig::tls, &LocalTlsConfig::ca_file>()},
        {.path = "local.tls.cert_file",
         .kind = Kind::FilePath,
         .description = "Client certificate (PEM) for the local broker (needs key_file).",
         .assign = to<&Config::local, &LocalConfig::tls, &LocalTlsConfig::cert_file>()},
        {.path = "local.tls.key_file",
         .kind = Kind::SecretPath,
         .description =
             "Client private key (PEM) for the local broker (needs cert_file). A secret file.",
         .assign = to<&Config::local, &LocalConfig::tls, &LocalTlsConfig::key_file>()},

        // [sessions]
        {.path = "sessions",
         .kind = Kind::Table,
         .description = "Pacing and lifetime of the device sessions."},
        {.path = "sessions.connect_rate",
         .kind = Kind::Number,
         .default_literal = "50",
         .description = "New device connections per second, across all devices. At most 100 "
                        "connects are under way at once (TCP, TLS handshake, CONNACK), whatever "
                        "the rate: the others wait for one to finish.",
         .check = positive_number(),
         .assign = to<&Config::sessions, &SessionsConfig::connect_rate>()},
        {.path = "sessions.twin_read_rate",
         .kind = Kind::Number,
         .default_literal = "100",
         .description = "Twin GET requests per second, across all devices.",
         .check = positive_number(),
         .assign = to<&Config::sessions, &SessionsConfig::twin_read_rate>()},
        {.path = "sessions.twin_update_rate",
         .kind = Kind::Number,
         .default_literal = "50",
         .description = "Reported-property updates per second, across all devices.",
         .check = positive_number(),
         .assign = to<&Config::sessions, &SessionsConfig::twin_update_rate>()},
        {.path = "sessions.backoff",
         .kind = Kind::Table,
         .description = "Reconnect back-off: capped exponential with full jitter."},
        {.path = "sessions.backoff.min",
         .kind = Kind::DurationText,
         .default_literal = R"("1s")",
         .description = "First reconnect delay.",
         .check = duration_at_least(100ms),
         .assign = to<&Config::sessions, &SessionsConfig::backoff, &BackoffConfig::min>()},
        {.path = "sessions.backoff.max",
         .kind = Kind::DurationText,
         .default_literal = R"("5m")",
         .description = "Longest reconnect delay (at least backoff.min).",
         .check = duration_at_least(100ms),
         .assign = to<&Config::sessions, &SessionsConfig::backoff, &BackoffConfig::max>()},
        {.path = "sessions.refused_backoff",
         .kind = Kind::DurationText,
         .default_literal = R"("10m")",
         .description = "Wait before retrying a device whose credentials the hub refused.",
         .check = duration_at_least(1s),
         .assign = to<&Config::sessions, &SessionsConfig::refused_backoff>()},
        {.path = "sessions.replaced_retry",
         .kind = Kind::DurationText,
         .default_literal = R"("10m")",
         .description = "Wait before a session the hub closed for another connection with the "
                        "same device id (replaced) tries again.",
         .check = duration_at_least(1s),
         .assign = to<&Config::sessions, &SessionsConfig::replaced_retry>()},
        {.path = "sessions.idle_timeout",
         .kind = Kind::DurationText,
         .default_literal = R"("0s")",
         .description =
             "Close a session idle this long when its device needs no downlink; 0s: never.",
         .assign = to<&Config::sessions, &SessionsConfig::idle_timeout>()},
        {.path = "sessions.startup_devices",
         .kind = Kind::StringList,
         .default_literal = "[]",
         .description =
             "Device ids to connect at start-up (to receive methods and C2D before they publish).",
         .check = device_ids(),
         .assign = to<&Config::sessions, &SessionsConfig::startup_devices>()},
        {.path = "sessions.connect_seen_devices",
         .kind = Kind::Bool,
         .default_literal = "true",
         .description =
             "Also connect at start-up every device seen before (remembered in state.dir).",
         .assign = to<&Config::sessions, &SessionsConfig::connect_seen_devices>()},
        {.path = "sessions.max_inflight",
         .kind = Kind::Integer,
         .default_literal = "16",
         .description = "Unacknowledged upstream messages per device.",
         .check = integer_between(1, 65535),
         .assign = to<&Config::sessions, &SessionsConfig::max_inflight>()},

        // [spool]
        {.path = "spool",
         .kind = Kind::Table,
         .description = "The durable per-device message store."},
        {.path = "spool.dir",
         .kind = Kind::Path,
         .default_literal = R"("/var/lib/hubgate/spool")",
         .description = "Spool folder.",
         .assign = to<&Config::spool, &SpoolConfig::dir>()},
        {.path = "spool.max_size",
         .kind = Kind::Size,
         .default_literal = R"("1GiB")",
         .description =
             "Size limit; when full, hubgate stops taking local messages (the broker queues them).",
         .check = size_at_least(MiB),
         .assign = to<&Config::spool, &SpoolConfig::max_size>()},
        {.path = "spool.ttl",
         .kind = Kind::DurationText,
         .default_literal = R"("7d")",
         .description = "Messages older than this are dropped (and counted). Age counts while "
                        "hubgate runs: wall-clock steps and time stopped do not age a message.",
         .check = duration_at_least(1s),
         .assign = to<&Config::spool, &SpoolConfig::ttl>()},

        // [state]
        {.path = "state", .kind = Kind::Table, .description = "Persistent daemon state."},
        {.path = "state.dir",
         .kind = Kind::Path,
         .default_literal = R"("/var/lib/hubgate/state")",
         .description = "Folder for hubgate's own state: remembered device captures, each "
                        "device's desired properties (`desired/`), the C2D journal "
                        "(`c2d.journal`: C2D messages not yet acknowledged by the local broker), "
                        "the plugin crash guard (`in-hooks`, `plugin-crashes.json`) and the "
                        "`dead-letter/` folder.",
         .assign = to<&Config::state, &StateConfig::dir>()},

        // mappings
        {.path = "mappings",
         .kind = Kind::PathList,
         .default_literal = "[]",
         .description =
             "Glob patterns of mapping files. A top-level key: write it before the first [table].",
         .assign = to<&Config::mappings>()},

        // [plugins]
        {.path = "plugins",
         .kind = Kind::Table,
         .description = "Plugins, each a [plugins.<name>] table, run in file order."},
        {.path = "plugins.dir",
         .kind = Kind::Path,
         .default_literal = R"("/usr/lib/hubgate/plugins")",
         .description = "Folder that relative plugin file names are found in.",
         .assign = to<&Config::plugins, &PluginsConfig::dir>()},
        {.path = "plugins.*",
         .kind = Kind::NamedTables,
         .description = "One plugin to load, named by the table.",
         .check = plugin_name(),
         .assign =
             [](Config& c, const Value& v) {
                 c.plugins.plugins.push_back({std::get<std::string>(v), {}, "{}", {}});
             }},
        {.path = "plugins.*.file",
         .kind = Kind::PluginPath,
         .description = "The plugin's shared library.",
         .required = true,
         .assign =
             [](Config& c, const Value& v) {
                 c.plugins.plugins.back().file = std::get<std::filesystem::path>(v);
             }},
        {.path = "plugins.*.config",
         .kind = Kind::FreeTable,
         .description = "The plugin's own settings, handed to it as JSON; checked against the "
                        "settings the plugin declares (`hubgate plugin info FILE`), with their "
                        "defaults filled in.",
         .assign =
             [](Config& c, const Value& v) {
                 c.plugins.plugins.back().config_json = std::get<std::string>(v);
             }},

        // [log]
        {.path = "log", .kind = Kind::Table, .description = "Logging."},
        {.path = "log.level",
         .kind = Kind::Enum,
         .default_literal = R"("info")",
         .description = "Lowest level logged.",
         .choices = {kLogLevels.begin(), kLogLevels.end()},
         .assign =
             [](Config& c, const Value& v) {
                 c.log.level =
                     std::string(kLogLevels.at(static_cast<size_t>(std::get<int64_t>(v))));
             }},
        {.path = "log.format",
         .kind = Kind::Enum,
         .default_literal = R"("auto")",
         .description = "auto: journal format under systemd, human on a terminal.",
         .choices = {"auto", "human", "journal"},
         .assign = to<&Config::log, &LogConfig::format>()},

        // [control]
        {.path = "control",
         .kind = Kind::Table,
         .description = "The control socket used by `hubgate status`."},
        {.path = "control.socket",
         .kind = Kind::Path,
         .default_literal = R"("/run/hubgate/control.sock")",
         .description = "Unix socket path.",
         .assign = to<&Config::control, &ControlConfig::socket>()},

        // [metrics]
        {.path = "metrics", .kind = Kind::Table, .description = "Prometheus metrics endpoint."},
        {.path = "metrics.listen",
         .kind = Kind::HostPort,
         .description = "\"port\" (on 127.0.0.1) or \"host:port\"; unset: no metrics endpoint.",
         .check = endpoint_with_port(),
         .assign = to<&Config::metrics, &MetricsConfig::listen>()},
        {.path = "metrics.per_device",
         .kind = Kind::Bool,
         .default_literal = "false",
         .description = "Also export hubgate_device_* series with a device label (one set per "
                        "device, up to metrics.per_device_limit devices).",
         .assign = to<&Config::metrics, &MetricsConfig::per_device>()},
        {.path = "metrics.per_device_limit",
         .kind = Kind::Integer,
         .default_literal = "1000",
         .description = "Devices that get series of their own, the first seen first; later ones "
                        "get none and are counted in hubgate_devices_over_limit.",
         .check = integer_between(1, 100000),
         .assign = to<&Config::metrics, &MetricsConfig::per_device_limit>()},
    };
}

std::string_view parent_of(std::string_view path) {
    const auto dot = path.rfind('.');
    return dot == std::string_view::npos ? std::string_view() : path.substr(0, dot);
}

}  // namespace

const std::vector<KeySpec>& schema() {
    static const std::vector<KeySpec> table = build_schema();
    return table;
}

const KeySpec* find_key(std::string_view path) {
    return find_key(schema(), path);
}

std::vector<const KeySpec*> keys_under(std::string_view table_path) {
    return keys_under(schema(), table_path);
}

const KeySpec* find_key(const std::vector<KeySpec>& keys, std::string_view path) {
    for (const auto& spec : keys) {
        if (spec.path == path)
            return &spec;
    }
    return nullptr;
}

std::vector<const KeySpec*> keys_under(const std::vector<KeySpec>& keys,
                                       std::string_view table_path) {
    std::vector<const KeySpec*> out;
    for (const auto& spec : keys) {
        if (parent_of(spec.path) == table_path)
            out.push_back(&spec);
    }
    return out;
}

std::string_view kind_name(Kind kind) {
    switch (kind) {
        case Kind::Table:
        case Kind::NamedTables:
        case Kind::FreeTable:
            return "a table";
        case Kind::String:
            return "a string";
        case Kind::Enum:
            return "a string";
        case Kind::Integer:
            return "an integer";
        case Kind::Number:
            return "a number";
        case Kind::Bool:
            return "a boolean";
        case Kind::DurationText:
            return "a duration string such as \"30s\"";
        case Kind::Size:
            return "a size string such as \"64MiB\"";
        case Kind::Path:
        case Kind::FilePath:
        case Kind::SecretPath:
        case Kind::PluginPath:
            return "a path string";
        case Kind::Pattern:
        case Kind::SecretPattern:
            return "a path pattern string with {device}";
        case Kind::HostPort:
            return "a \"host:port\" string";
        case Kind::StringList:
            return "an array of strings";
        case Kind::PathList:
            return "an array of path strings";
        case Kind::TableList:
            return "an array of tables";
    }
    return "a value";
}

}  // namespace hubgate::config
