#pragma once
// The hubsim registry as configured in its TOML file ([hub], [[policies]], [[devices]]); the
// CLI reads [hub] from the same file, the plugin reads all of it.

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "hubsim/common/dps_config.hpp"

namespace hubsim {

// A shared access policy: a named key with rights such as "DeviceConnect".
struct AccessPolicy {
    std::string name;
    std::string key;  // base64
    std::vector<std::string> rights;

    bool has_right(const std::string& right) const;
};

// A device identity: symmetric keys ("sas"), X.509 thumbprints ("selfSigned") or any certificate
// a registered CA issued for it ("certificateAuthority"); enabled or disabled.
struct DeviceIdentity {
    std::string id;
    std::string primary_key;      // base64; empty for X.509 devices
    std::string secondary_key;    // base64
    std::string x509_thumbprint;  // lower-case hex (SHA-1 or SHA-256); empty for key devices
    bool enabled = true;
    std::string x509_secondary_thumbprint{};  // lower-case hex, optional
    // A client certificate that chains to a [[certificate_authorities]] entry and whose CN is
    // the device id authenticates the device (no thumbprint, no keys).
    bool certificate_authority = false;

    // IoT Hub's authentication.type: "sas", "selfSigned" or "certificateAuthority".
    std::string authentication_type() const;
};

// A CA whose certificates authenticate "certificateAuthority" devices (IoT Hub's verified CA).
struct CertificateAuthority {
    std::string name;
    std::string file;  // PEM: the CA certificate (an intermediate with its chain up to the root)
};

// Another hub the same hubsim serves ([[hubs]]): its own host name, registry and MQTT listener
// (the listener's port is the CLI's business). The shared access policies of [[policies]] are
// every hub's.
struct ExtraHub {
    std::string hostname;
    std::vector<DeviceIdentity> devices;
};

// Everything the plugin needs from the config file.
struct HubConfig {
    std::string hostname = "hubsim.azure-devices.net";
    std::vector<AccessPolicy> policies;
    std::vector<DeviceIdentity> devices;
    std::vector<CertificateAuthority> certificate_authorities;
    DpsConfig dps;  // the provisioning service in front of this hub
    // More hubs beside [hub], in config order; empty for a single-hub config.
    std::vector<ExtraHub> extra_hubs;

    // The config of extra hub `index` as a hub of its own (its host name and devices, the
    // shared policies, no DPS).
    HubConfig extra_hub(size_t index) const;
    // Every hub's host name, [hub] first.
    std::vector<std::string> hostnames() const;
};

// Thrown with "file:line:col: message" when the config cannot be used.
struct ConfigError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

HubConfig load_hub_config(const std::string& path);
HubConfig parse_hub_config(const std::string& toml_text, const std::string& source_name);

// Lower-case hex with any ':' separators removed ("AB:cd" -> "abcd").
std::string normalize_thumbprint(const std::string& text);

}  // namespace hubsim
