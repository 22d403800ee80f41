// Reads the hubsim TOML registry with toml++, reporting errors with their source position.
#include "hubsim/common/hub_config.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <toml++/toml.h>

#include "hubgate/iothub/encoding.hpp"
#include "hubsim/common/client_certificate.hpp"
#include "hubsim/common/config_error_at.hpp"
#include "hubsim/common/dps_config_reader.hpp"

namespace hubsim {

namespace {

std::string required_string(const std::string& source, const toml::table& table,
                            const std::string& key, const std::string& path) {
    const auto* node = table.get(key);
    if (node == nullptr)
        fail_at(source, table.source(), path + "." + key + ": missing");
    auto value = node->value<std::string>();
    if (!value || value->empty())
        fail_at(source, node->source(), path + "." + key + ": must be a non-empty string");
    return *value;
}

std::string optional_string(const std::string& source, const toml::table& table,
                            const std::string& key, const std::string& path) {
    const auto* node = table.get(key);
    if (node == nullptr)
        return {};
    auto value = node->value<std::string>();
    if (!value)
        fail_at(source, node->source(), path + "." + key + ": must be a string");
    return *value;
}

void check_key(const std::string& source, const toml::table& table, const std::string& key,
               const std::string& path) {
    if (const auto* node = table.get(key); node != nullptr) {
        auto value = node->value<std::string>();
        if (value && !hubgate::iothub::base64_decode(*value)) {
            fail_at(source, node->source(), path + "." + key + ": not valid base64");
        }
    }
}

AccessPolicy read_policy(const std::string& source, const toml::table& table, size_t index) {
    std::string path = "policies[" + std::to_string(index) + "]";
    check_key(source, table, "key", path);
    AccessPolicy policy{required_string(source, table, "name", path),
                        required_string(source, table, "key", path),
                        {}};
    if (const auto* rights = table.get("rights"); rights != nullptr) {
        const auto* array = rights->as_array();
        if (array == nullptr)
            fail_at(source, rights->source(), path + ".rights: must be an array");
        for (const auto& right : *array) {
            auto text = right.value<std::string>();
            if (!text)
                fail_at(source, right.source(), path + ".rights: entries must be strings");
            policy.rights.push_back(*text);
        }
    }
    return policy;
}

// A file named in the config: relative to the config file's folder.
std::string config_relative(const std::string& source, const std::string& path) {
    const std::filesystem::path file(path);
    if (file.is_absolute())
        return path;
    return (std::filesystem::path(source).parent_path() / file).string();
}

// authentication = "sas" | "selfSigned" | "certificateAuthority" (IoT Hub's names); unset: from
// the credentials given. x509_certificate: a self-signed certificate whose thumbprint is taken
// (and which `hubsim run` adds to the client-certificate listener's trust file).
void read_device_x509(const std::string& source, const toml::table& table, const std::string& path,
                      DeviceIdentity& device) {
    device.x509_secondary_thumbprint =
        normalize_thumbprint(optional_string(source, table, "x509_secondary_thumbprint", path));
    const std::string certificate = optional_string(source, table, "x509_certificate", path);
    if (!certificate.empty()) {
        if (!device.x509_thumbprint.empty())
            fail_at(source, table.source(),
                    path + ": x509_certificate or x509_thumbprint, not both");
        try {
            device.x509_thumbprint =
                certificate_file_thumbprint(config_relative(source, certificate));
        } catch (const CertificateFileError& error) {
            fail_at(source, table.get("x509_certificate")->source(),
                    path + ".x509_certificate: " + error.what());
        }
    }
    const std::string type = optional_string(source, table, "authentication", path);
    if (type == "certificateAuthority") {
        if (!device.x509_thumbprint.empty() || !device.primary_key.empty() ||
            !device.secondary_key.empty()) {
            fail_at(source, table.source(),
                    path + ": a certificateAuthority device has no keys and no thumbprint");
        }
        device.certificate_authority = true;
    } else if (!type.empty() && type != "sas" && type != "selfSigned") {
        fail_at(source, table.get("authentication")->source(),
                path +
                    ".authentication: must be \"sas\", \"selfSigned\" or "
                    "\"certificateAuthority\"");
    } else if (type == "selfSigned" && device.x509_thumbprint.empty()) {
        fail_at(source, table.source(),
                path + ": selfSigned needs x509_thumbprint or x509_certificate");
    } else if (type == "sas" && device.primary_key.empty() && device.secondary_key.empty()) {
        fail_at(source, table.source(), path + ": sas needs primary_key or secondary_key");
    }
}

DeviceIdentity read_device(const std::string& source, const toml::table& table, size_t index) {
    std::string path = "devices[" + std::to_string(index) + "]";
    check_key(source, table, "primary_key", path);
    check_key(source, table, "secondary_key", path);
    DeviceIdentity device;
    device.id = required_string(source, table, "id", path);
    device.primary_key = optional_string(source, table, "primary_key", path);
    device.secondary_key = optional_string(source, table, "secondary_key", path);
    device.x509_thumbprint =
        normalize_thumbprint(optional_string(source, table, "x509_thumbprint", path));
    read_device_x509(source, table, path, device);
    std::string status = optional_string(source, table, "status", path);
    if (status.empty() || status == "enabled") {
        device.enabled = true;
    } else if (status == "disabled") {
        device.enabled = false;
    } else {
        fail_at(source, table.get("status")->source(),
                path + ".status: must be \"enabled\" or \"disabled\"");
    }
    if (device.primary_key.empty() && device.secondary_key.empty() &&
        device.x509_thumbprint.empty() && !device.certificate_authority) {
        fail_at(source, table.source(),
                path +
                    ": needs primary_key/secondary_key, x509_thumbprint/x509_certificate or "
                    "authentication = \"certificateAuthority\"");
    }
    return device;
}

// One [[hubs]] table: a host name, an optional listener port (read by the CLI) and devices.
ExtraHub read_extra_hub(const std::string& source, const toml::table& table, size_t index) {
    const std::string path = "hubs[" + std::to_string(index) + "]";
    for (const auto& [key, node] : table) {
        if (key != "hostname" && key != "mqtts_port" && key != "devices")
            fail_at(source, node.source(),
                    path + "." + std::string(key.str()) +
                        ": unknown key (allowed: hostname, mqtts_port, devices)");
    }
    ExtraHub hub;
    hub.hostname = required_string(source, table, "hostname", path);
    if (const auto* node = table.get("devices"); node != nullptr) {
        const auto* array = node->as_array();
        if (array == nullptr)
            fail_at(source, node->source(), path + ".devices: must be an array of tables");
        size_t device_index = 0;
        for (const auto& element : *array) {
            const auto* device = element.as_table();
            if (device == nullptr)
                fail_at(source, element.source(), path + ".devices: must be an array of tables");
            hub.devices.push_back(read_device(source, *device, device_index++));
        }
    }
    return hub;
}

// [[hubs]]: host names differ from each other and from [hub]; a device id is in one registry
// only, because the broker's client ids (= device ids) are shared by every hub listener.
void read_extra_hubs(const std::string& source, const toml::table& root, HubConfig& config) {
    const auto* node = root.get("hubs");
    if (node == nullptr)
        return;
    const auto* array = node->as_array();
    if (array == nullptr)
        fail_at(source, node->source(), "hubs: must be an array of tables");
    std::set<std::string> hostnames{config.hostname};
    std::set<std::string> ids;
    for (const auto& device : config.devices)
        ids.insert(device.id);
    size_t index = 0;
    for (const auto& element : *array) {
        const auto* table = element.as_table();
        if (table == nullptr)
            fail_at(source, element.source(), "hubs: must be an array of tables");
        auto hub = read_extra_hub(source, *table, index++);
        if (!hostnames.insert(hub.hostname).second)
            fail_at(source, table->source(), "hubs: duplicate hostname \"" + hub.hostname + "\"");
        for (const auto& device : hub.devices) {
            if (!ids.insert(device.id).second)
                fail_at(source, table->source(),
                        "hubs: device id \"" + device.id +
                            "\" is in another registry already (device ids are broker-wide)");
        }
        config.extra_hubs.push_back(std::move(hub));
    }
}

CertificateAuthority read_certificate_authority(const std::string& source, const toml::table& table,
                                                size_t index) {
    std::string path = "certificate_authorities[" + std::to_string(index) + "]";
    CertificateAuthority ca{required_string(source, table, "name", path),
                            config_relative(source, required_string(source, table, "file", path))};
    try {
        RegisteredCas check({ca.file});  // readable, with at least one certificate
    } catch (const CertificateFileError& error) {
        fail_at(source, table.get("file")->source(), path + ".file: " + error.what());
    }
    return ca;
}

}  // namespace

HubConfig HubConfig::extra_hub(size_t index) const {
    HubConfig hub;
    hub.hostname = extra_hubs.at(index).hostname;
    hub.policies = policies;
    hub.devices = extra_hubs.at(index).devices;
    return hub;
}

std::vector<std::string> HubConfig::hostnames() const {
    std::vector<std::string> out{hostname};
    for (const auto& hub : extra_hubs)
        out.push_back(hub.hostname);
    return out;
}

bool AccessPolicy::has_right(const std::string& right) const {
    return std::find(rights.begin(), rights.end(), right) != rights.end();
}

std::string DeviceIdentity::authentication_type() const {
    if (certificate_authority)
        return "certificateAuthority";
    return x509_thumbprint.empty() ? "sas" : "selfSigned";
}

std::string normalize_thumbprint(const std::string& text) {
    std::string out;
    for (char c : text) {
        if (c == ':' || c == ' ')
            continue;
        out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
    return out;
}

HubConfig parse_hub_config(const std::string& toml_text, const std::string& source_name) {
    toml::table root;
    try {
        root = toml::parse(toml_text, source_name);
    } catch (const toml::parse_error& error) {
        fail_at(source_name, error.source(), std::string(error.description()));
    }
    HubConfig config;
    if (const auto* hub = root["hub"].as_table(); hub != nullptr) {
        if (const auto* node = hub->get("hostname"); node != nullptr) {
            auto value = node->value<std::string>();
            if (!value || value->empty())
                fail_at(source_name, node->source(), "hub.hostname: must be a non-empty string");
            config.hostname = *value;
        }
    }
    auto read_array = [&](const char* key, auto&& read_one) {
        const auto* node = root.get(key);
        if (node == nullptr)
            return;
        const auto* array = node->as_array();
        if (array == nullptr)
            fail_at(source_name, node->source(), std::string(key) + ": must be an array of tables");
        size_t index = 0;
        for (const auto& element : *array) {
            const auto* table = element.as_table();
            if (table == nullptr)
                fail_at(source_name, element.source(),
                        std::string(key) + ": must be an array of tables");
            read_one(*table, index++);
        }
    };
    std::set<std::string> names;
    read_array("policies", [&](const toml::table& table, size_t index) {
        auto policy = read_policy(source_name, table, index);
        if (!names.insert(policy.name).second)
            fail_at(source_name, table.source(),
                    "policies: duplicate name \"" + policy.name + "\"");
        config.policies.push_back(std::move(policy));
    });
    std::set<std::string> ids;
    read_array("devices", [&](const toml::table& table, size_t index) {
        auto device = read_device(source_name, table, index);
        if (!ids.insert(device.id).second)
            fail_at(source_name, table.source(), "devices: duplicate id \"" + device.id + "\"");
        config.devices.push_back(std::move(device));
    });
    std::set<std::string> ca_names;
    read_array("certificate_authorities", [&](const toml::table& table, size_t index) {
        auto ca = read_certificate_authority(source_name, table, index);
        if (!ca_names.insert(ca.name).second)
            fail_at(source_name, table.source(),
                    "certificate_authorities: duplicate name \"" + ca.name + "\"");
        config.certificate_authorities.push_back(std::move(ca));
    });
    read_dps_config(root, source_name, config.dps);
    read_extra_hubs(source_name, root, config);
    check_group_hubs(root, source_name, config.dps, config.hostnames());
    return config;
}

HubConfig load_hub_config(const std::string& path) {
    std::ifstream in(path);
    if (!in)
        throw ConfigError(path + ": cannot be read");
    std::ostringstream content;
    content << in.rdbuf();
    return parse_hub_config(content.str(), path);
}

}  // namespace hubsim
