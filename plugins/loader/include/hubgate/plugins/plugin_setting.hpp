#pragma once
// A plugin's declared settings and hooks (plugin ABI 1.1), copied out of its descriptor and
// checked, so the rest of hubgate never reads plugin memory after loading.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hubgate::plugins {

// HUBGATE_SETTING_* in plugin.h.
enum class SettingType { String, Integer, Number, Boolean, StringList, TableList };

// One declared key of the plugin's `config` table.
struct PluginSetting {
    std::string name;
    SettingType type = SettingType::String;
    std::string description;
    std::optional<std::string> default_json;  // a JSON value; nullopt: no default
    bool required = false;
    std::vector<std::string> choices;   // String: the allowed values (empty: any)
    std::vector<PluginSetting> fields;  // TableList: the keys of each table
};

// "string", "integer", ... as `hubgate plugin info` prints them.
const char* setting_type_name(SettingType type);

// "derive_device_id" for HUBGATE_HOOK_DERIVE_DEVICE_ID, ...; nullptr for an id this host lacks.
const char* hook_id_name(int32_t hook_id);

}  // namespace hubgate::plugins
