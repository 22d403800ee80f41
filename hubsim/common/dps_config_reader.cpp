// [dps] and [[enrollment_groups]]: every key checked, errors with their source position.
#include "hubsim/common/dps_config_reader.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "hubgate/iothub/sas_token.hpp"
#include "hubsim/common/client_certificate.hpp"
#include "hubsim/common/config_error_at.hpp"
#include "hubsim/common/hub_config.hpp"

namespace hubsim {

namespace {

void check_keys(const std::string& source, const toml::table& table, const std::string& path,
                const std::set<std::string>& allowed) {
    for (const auto& [key, node] : table) {
        if (!allowed.contains(std::string(key.str())))
            fail_at(source, node.source(), path + "." + std::string(key.str()) + ": unknown key");
    }
}

std::string string_at(const std::string& source, const toml::table& table, const std::string& key,
                      const std::string& path, bool required) {
    const auto* node = table.get(key);
    if (node == nullptr) {
        if (required)
            fail_at(source, table.source(), path + "." + key + ": missing");
        return {};
    }
    auto value = node->value<std::string>();
    if (!value || value->empty())
        fail_at(source, node->source(), path + "." + key + ": must be a non-empty string");
    return *value;
}

std::string key_at(const std::string& source, const toml::table& table, const std::string& key,
                   const std::string& path) {
    auto value = string_at(source, table, key, path, false);
    if (!value.empty() && !hubgate::iothub::base64_decode(value))
        fail_at(source, table.get(key)->source(), path + "." + key + ": not valid base64");
    return value;
}

void read_settings(const std::string& source, const toml::table& dps, DpsConfig& out) {
    check_keys(source, dps, "dps",
               {"id_scope", "service_hostname", "registrations_per_minute", "poll_after_seconds"});
    if (auto scope = string_at(source, dps, "id_scope", "dps", false); !scope.empty())
        out.id_scope = scope;
    if (auto host = string_at(source, dps, "service_hostname", "dps", false); !host.empty())
        out.service_hostname = host;
    if (const auto* node = dps.get("registrations_per_minute")) {
        auto value = node->value<double>();
        if (!value || *value < 0)
            fail_at(source, node->source(),
                    "dps.registrations_per_minute: must be a number >= 0 (0 = unlimited)");
        out.registrations_per_minute = *value;
    }
    if (const auto* node = dps.get("poll_after_seconds")) {
        auto value = node->value<int64_t>();
        if (!value || *value < 0 || *value > 60)
            fail_at(source, node->source(), "dps.poll_after_seconds: must be 0 to 60");
        out.poll_after_seconds = static_cast<int>(*value);
    }
}

// allocation_policy ("hashed" or "static"), iot_hubs (host names) and, for "static",
// iot_hub_host_name instead: DPS's allocationPolicy, iotHubs and iotHubHostName.
void read_allocation(const std::string& source, const toml::table& table, const std::string& path,
                     EnrollmentGroup& group) {
    const auto policy = string_at(source, table, "allocation_policy", path, false);
    if (!policy.empty()) {
        if (policy != "hashed" && policy != "static")
            fail_at(source, table.get("allocation_policy")->source(),
                    path + ".allocation_policy: must be \"hashed\" or \"static\"");
        group.allocation_policy = policy;
    }
    if (const auto* node = table.get("iot_hubs")) {
        const auto* hubs = node->as_array();
        if (hubs == nullptr)
            fail_at(source, node->source(), path + ".iot_hubs: must be an array of host names");
        for (const auto& hub : *hubs) {
            auto name = hub.value<std::string>();
            if (!name || name->empty())
                fail_at(source, hub.source(), path + ".iot_hubs: entries must be host names");
            group.iot_hubs.push_back(*name);
        }
    }
    const auto static_hub = string_at(source, table, "iot_hub_host_name", path, false);
    if (!static_hub.empty()) {
        if (group.allocation_policy != "static" || !group.iot_hubs.empty())
            fail_at(source, table.get("iot_hub_host_name")->source(),
                    path +
                        ".iot_hub_host_name: only with allocation_policy = \"static\" and no "
                        "iot_hubs");
        group.iot_hubs.push_back(static_hub);
    }
    if (group.allocation_policy == "static" && group.iot_hubs.size() > 1)
        fail_at(source, table.source(), path + ": a static group names one hub");
}

// The signing certificate of an X.509 group, as PEM (relative paths: from the config's folder).
std::string read_certificate(const std::string& source, const toml::node& node,
                             const std::string& file, const std::string& path) {
    std::filesystem::path full(file);
    if (full.is_relative())
        full = std::filesystem::path(source).parent_path() / full;
    std::ifstream in(full);
    std::ostringstream text;
    text << in.rdbuf();
    std::string pem;
    if (!in || !read_signing_certificate(text.str(), pem))
        fail_at(source, node.source(), path + ": " + full.string() + " holds no PEM certificate");
    return text.str();  // the whole chain, when the file holds one
}

EnrollmentGroup read_group(const std::string& source, const toml::table& table, size_t index) {
    const std::string path = "enrollment_groups[" + std::to_string(index) + "]";
    check_keys(source, table, path,
               {"id", "primary_key", "secondary_key", "status", "certificate_file",
                "allocation_policy", "iot_hubs", "iot_hub_host_name"});
    EnrollmentGroup group;
    group.id = string_at(source, table, "id", path, true);
    group.primary_key = key_at(source, table, "primary_key", path);
    group.secondary_key = key_at(source, table, "secondary_key", path);
    if (const auto file = string_at(source, table, "certificate_file", path, false);
        !file.empty()) {
        if (!group.primary_key.empty() || !group.secondary_key.empty())
            fail_at(source, table.source(), path + ": certificate_file (X.509) or keys, not both");
        group.signing_certificate = read_certificate(source, *table.get("certificate_file"), file,
                                                     path + ".certificate_file");
    } else if (group.primary_key.empty()) {
        fail_at(source, table.source(), path + ".primary_key: missing (or certificate_file)");
    }
    auto status = string_at(source, table, "status", path, false);
    if (status == "disabled") {
        group.enabled = false;
    } else if (!status.empty() && status != "enabled") {
        fail_at(source, table.get("status")->source(),
                path + ".status: must be \"enabled\" or \"disabled\"");
    }
    read_allocation(source, table, path, group);
    return group;
}

}  // namespace

void read_dps_config(const toml::table& root, const std::string& source, DpsConfig& out) {
    if (const auto* node = root.get("dps")) {
        const auto* dps = node->as_table();
        if (dps == nullptr)
            fail_at(source, node->source(), "dps: must be a table");
        read_settings(source, *dps, out);
    }
    const auto* node = root.get("enrollment_groups");
    if (node == nullptr)
        return;
    const auto* groups = node->as_array();
    if (groups == nullptr)
        fail_at(source, node->source(), "enrollment_groups: must be an array of tables");
    std::set<std::string> ids;
    size_t index = 0;
    for (const auto& element : *groups) {
        const auto* table = element.as_table();
        if (table == nullptr)
            fail_at(source, element.source(), "enrollment_groups: must be an array of tables");
        auto group = read_group(source, *table, index++);
        if (!ids.insert(group.id).second)
            fail_at(source, table->source(),
                    "enrollment_groups: duplicate id \"" + group.id + "\"");
        out.enrollment_groups.push_back(std::move(group));
    }
}

void check_group_hubs(const toml::table& root, const std::string& source, const DpsConfig& dps,
                      const std::vector<std::string>& hostnames) {
    const auto* groups = root["enrollment_groups"].as_array();
    for (size_t index = 0; index < dps.enrollment_groups.size(); ++index) {
        for (const auto& hub : dps.enrollment_groups[index].iot_hubs) {
            if (std::find(hostnames.begin(), hostnames.end(), hub) != hostnames.end())
                continue;
            const auto* table = groups ? groups->get(index) : nullptr;
            fail_at(source, table ? table->source() : root.source(),
                    "enrollment_groups[" + std::to_string(index) + "]: unknown hub \"" + hub +
                        "\" (not [hub] hostname nor a [[hubs]] hostname)");
        }
    }
}

}  // namespace hubsim
