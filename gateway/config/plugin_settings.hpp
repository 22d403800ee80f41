#pragma once
// `plugins.<name>.config` checked against the settings the plugin declares (plugin ABI 1.1), with
// the same walker, messages and file:line:col as hubgate's own keys, and the declared defaults
// filled in. The daemon opens the plugin, hands its declarations over in these terms (the config
// library knows nothing of plugin.h) and creates the instance with the resulting JSON.

#include <optional>
#include <string>
#include <vector>

#include "gateway/config/config.hpp"

namespace hubgate::config {

enum class SettingKind { String, Integer, Number, Boolean, StringList, TableList };

// One declared key of a plugin's config table.
struct DeclaredSetting {
    std::string name = {};
    SettingKind kind = SettingKind::String;
    std::optional<std::string> default_json = {};  // a JSON value: string, number, bool, array
    bool required = false;
    std::vector<std::string> choices = {};     // String: the allowed values (empty: any)
    std::vector<DeclaredSetting> fields = {};  // TableList: the keys of each table
};

struct PluginSettingsResult {
    std::vector<Diagnostic> diagnostics;  // empty: the config fits the declarations
    std::string config_json;              // the config with defaults, for create()
    bool ok() const { return diagnostics.empty(); }
};

// Checks `plugin`'s config table in `config`'s file against `declared`. `plugin_name` (the
// descriptor's name) is used in the message about a default the plugin declares wrongly.
PluginSettingsResult check_plugin_settings(const Config& config, const PluginConfig& plugin,
                                           const std::string& plugin_name,
                                           const std::vector<DeclaredSetting>& declared);

}  // namespace hubgate::config
