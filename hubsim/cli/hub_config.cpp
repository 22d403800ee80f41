#include "hubsim/cli/hub_config.hpp"

#include <unistd.h>

#include <toml++/toml.h>
#include <cstdlib>
#include <functional>
#include <set>
#include <sstream>

namespace hubsim::cli {

namespace fs = std::filesystem;

namespace {

std::string where(const fs::path& file, const toml::source_region& source) {
    std::ostringstream out;
    out << file.string() << ":" << source.begin.line << ":" << source.begin.column << ": ";
    return out.str();
}

int port_value(const fs::path& file, const toml::node& node, const std::string& key) {
    const auto value = node.value<int64_t>();
    if (!value || *value < 0 || *value > 65535) {
        throw ConfigError(where(file, node.source()) + "hub." + key +
                          ": must be a port number from 0 to 65535 (0 picks a free one)");
    }
    return static_cast<int>(*value);
}

std::string string_value(const fs::path& file, const toml::node& node, const std::string& key) {
    const auto value = node.value<std::string>();
    if (!value) {
        throw ConfigError(where(file, node.source()) + "hub." + key + ": must be a string");
    }
    return *value;
}

fs::path resolve(const fs::path& file, const std::string& path) {
    if (path.empty())
        return {};
    const fs::path p(path);
    return p.is_absolute() ? p : file.parent_path() / p;
}

// The listener of each [[hubs]] table (the plugin checks the rest of them).
std::vector<ExtraHubListener> read_extra_hubs(const fs::path& file, const toml::table& root) {
    std::vector<ExtraHubListener> hubs;
    const auto* array = root["hubs"].as_array();
    if (array == nullptr)
        return hubs;
    for (const auto& element : *array) {
        const auto* table = element.as_table();
        if (table == nullptr)
            throw ConfigError(where(file, element.source()) + "hubs: must be an array of tables");
        ExtraHubListener hub;
        const auto* hostname = table->get("hostname");
        if (hostname == nullptr || hostname->value<std::string>().value_or("").empty())
            throw ConfigError(where(file, table->source()) + "hubs.hostname: missing");
        hub.hostname = *hostname->value<std::string>();
        if (const auto* port = table->get("mqtts_port"))
            hub.mqtts_port = port_value(file, *port, "mqtts_port");
        hubs.push_back(std::move(hub));
    }
    return hubs;
}

}  // namespace

HubConfig load_hub_config(const fs::path& path) {
    HubConfig config;
    config.file = fs::absolute(path);
    toml::table root;
    try {
        root = toml::parse_file(config.file.string());
    } catch (const toml::parse_error& e) {
        throw ConfigError(where(config.file, e.source()) + std::string(e.description()));
    }
    if (const auto* hub = root["hub"].as_table()) {
        static const std::set<std::string> allowed{
            "hostname",      "mqtts_port", "wss_port",  "https_port", "dps_port", "x509_port",
            "dps_x509_port", "state_dir",  "cert_file", "key_file",   "ca_file"};
        std::string state_dir, cert, key, ca;
        for (const auto& [k, node] : *hub) {
            const std::string key_name(k.str());
            if (!allowed.contains(key_name)) {
                throw ConfigError(where(config.file, node.source()) + "hub." + key_name +
                                  ": unknown key (allowed: hostname, mqtts_port, wss_port, "
                                  "https_port, dps_port, x509_port, dps_x509_port, state_dir, "
                                  "cert_file, key_file, ca_file)");
            }
            if (key_name == "hostname") {
                config.hostname = string_value(config.file, node, key_name);
                if (config.hostname.empty()) {
                    throw ConfigError(where(config.file, node.source()) +
                                      "hub.hostname: must not be empty");
                }
            } else if (key_name.ends_with("_port")) {
                const int port = port_value(config.file, node, key_name);
                (key_name == "mqtts_port"      ? config.mqtts_port
                 : key_name == "wss_port"      ? config.wss_port
                 : key_name == "https_port"    ? config.https_port
                 : key_name == "x509_port"     ? config.x509_port
                 : key_name == "dps_x509_port" ? config.dps_x509_port
                                               : config.dps_port) = port;
            } else {
                const auto value = resolve(config.file, string_value(config.file, node, key_name));
                if (key_name == "state_dir")
                    config.state_dir = value;
                if (key_name == "cert_file")
                    config.cert_file = value;
                if (key_name == "key_file")
                    config.key_file = value;
                if (key_name == "ca_file")
                    config.ca_file = value;
            }
        }
        if (config.cert_file.empty() != config.key_file.empty() ||
            (!config.cert_file.empty() && config.ca_file.empty())) {
            throw ConfigError(where(config.file, hub->source()) +
                              "hub: cert_file, key_file and ca_file go together (or none of "
                              "them, and a test certificate is generated)");
        }
    }
    // The plugin reads and checks these sections; only the file names matter here.
    const auto trust_files_of = [&](const char* section, const char* key) {
        if (const auto* entries = root[section].as_array()) {
            for (const auto& entry : *entries) {
                const auto* table = entry.as_table();
                const auto file = table ? (*table)[key].value<std::string>() : std::nullopt;
                if (file && !file->empty())
                    config.client_trust_files.push_back(resolve(config.file, *file));
            }
        }
    };
    trust_files_of("certificate_authorities", "file");
    trust_files_of("devices", "x509_certificate");
    trust_files_of("enrollment_groups", "certificate_file");
    config.extra_hubs = read_extra_hubs(config.file, root);
    if (const auto* policies = root["policies"].as_array()) {
        for (const auto& policy : *policies) {
            const auto* table = policy.as_table();
            if (table && (*table)["name"].value<std::string>() == "iothubowner") {
                config.owner_key = (*table)["key"].value<std::string>();
            }
        }
    }
    return config;
}

fs::path default_state_dir(const fs::path& config_file) {
    const auto absolute = fs::weakly_canonical(fs::absolute(config_file));
    std::ostringstream name;
    name << std::hex << std::hash<std::string>{}(absolute.string());
    const char* runtime = std::getenv("XDG_RUNTIME_DIR");
    const fs::path base =
        runtime && *runtime ? fs::path(runtime) / "hubsim"
                            : fs::temp_directory_path() / ("hubsim-" + std::to_string(::getuid()));
    return base / name.str();
}

}  // namespace hubsim::cli
