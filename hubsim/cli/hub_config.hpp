#pragma once
// The [hub] section of a hubsim config file (what `hubsim run` and the CLI wrappers need; the
// registry sections [[policies]] and [[devices]] belong to the plugin, which reads the same file).

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace hubsim::cli {

// A config error, as "file:line:col: key: message".
struct ConfigError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Another hub's listener ([[hubs]]): its host name and MQTT TLS port (0: a free one).
struct ExtraHubListener {
    std::string hostname;
    int mqtts_port = 0;
};

struct HubConfig {
    std::filesystem::path file;  // the config file, absolute
    std::string hostname = "hubsim.azure-devices.net";
    int mqtts_port = 0;  // 0: a free loopback port is picked at start
    int wss_port = 0;
    int https_port = 0;
    int dps_port = 0;                 // the DPS MQTT listener
    int x509_port = 0;                // the hub listener that asks for client certificates
    int dps_x509_port = 0;            // the DPS listener that asks for client certificates
    std::filesystem::path state_dir;  // empty: default_state_dir(file)
    // A configured certificate (relative paths are relative to the config file); when cert_file
    // is empty, a test CA and server certificate are generated in the state dir.
    std::filesystem::path cert_file;
    std::filesystem::path key_file;
    std::filesystem::path ca_file;
    // What the client-certificate listeners trust besides hubsim's own CA: the files of
    // [[certificate_authorities]], the self-signed certificates of [[devices]]
    // (x509_certificate) and the signing certificates of [[enrollment_groups]]
    // (certificate_file), absolute.
    std::vector<std::filesystem::path> client_trust_files;
    // The key of the "iothubowner" policy, used by the CLI wrappers to sign service tokens.
    std::optional<std::string> owner_key;
    // [[hubs]] (the plugin reads their registries); empty for a single-hub config.
    std::vector<ExtraHubListener> extra_hubs;
};

// Throws ConfigError when the file cannot be read or [hub] holds a bad or unknown value.
HubConfig load_hub_config(const std::filesystem::path& file);

// The state folder used when the config names none: private to the user and stable for a
// given config file, so the CLI wrappers find the ports of a running `hubsim run -c FILE`.
std::filesystem::path default_state_dir(const std::filesystem::path& config_file);

}  // namespace hubsim::cli
