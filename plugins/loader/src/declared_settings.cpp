// A plugin's declarations are plugin memory of unknown quality: every pointer and count is
// checked here, once, at load time, and copied into hubgate's own types.
#include "declared_settings.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <set>
#include <string_view>

#include "hubgate/plugins/plugin_error.hpp"

namespace hubgate::plugins {
namespace {

// More than this is a garbage count, not a config table anyone writes.
constexpr size_t kMaxSettings = 256;
constexpr size_t kMaxHooks = 64;
// The 1.1 setting ends with field_count; a plugin of any later 1.x is at least this large.
constexpr size_t kMinSettingSize =
    offsetof(hubgate_plugin_setting, field_count) + sizeof(hubgate_plugin_setting::field_count);

// TOML bare keys: what a config author can write without quotes.
bool is_bare_key(std::string_view name) {
    if (name.empty()) {
        return false;
    }
    for (const char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '_' || c == '-';
        if (!ok) {
            return false;
        }
    }
    return true;
}

std::optional<SettingType> type_from_id(int32_t type) {
    switch (type) {
        case HUBGATE_SETTING_STRING:
            return SettingType::String;
        case HUBGATE_SETTING_INTEGER:
            return SettingType::Integer;
        case HUBGATE_SETTING_NUMBER:
            return SettingType::Number;
        case HUBGATE_SETTING_BOOLEAN:
            return SettingType::Boolean;
        case HUBGATE_SETTING_STRING_LIST:
            return SettingType::StringList;
        case HUBGATE_SETTING_TABLE_LIST:
            return SettingType::TableList;
        default:
            return std::nullopt;
    }
}

std::vector<PluginSetting> read_list(const hubgate_plugin_setting* list, size_t count,
                                     const std::string& parent, bool nested);

PluginSetting read_one(const hubgate_plugin_setting& raw, const std::string& parent, bool nested) {
    PluginSetting setting;
    if (raw.name == nullptr || !is_bare_key(raw.name)) {
        throw PluginError(fmt::format(
            "a declared setting{} has no name, or one that is not letters, digits, '-' and '_'",
            parent));
    }
    setting.name = raw.name;
    const std::string where = fmt::format("declared setting '{}'{}", setting.name, parent);
    const auto type = type_from_id(raw.type);
    if (!type) {
        throw PluginError(fmt::format(
            "{} has unknown type {} (a plugin built for a newer hubgate?)", where, raw.type));
    }
    setting.type = *type;
    setting.description = raw.description != nullptr ? raw.description : "";
    if (raw.default_json != nullptr) {
        setting.default_json = raw.default_json;
    }
    setting.required = (raw.flags & HUBGATE_SETTING_REQUIRED) != 0;
    if (setting.required && setting.default_json) {
        throw PluginError(
            fmt::format("{} is required and has a default: give one or the other", where));
    }
    if (raw.choices != nullptr) {
        if (setting.type != SettingType::String) {
            throw PluginError(fmt::format("{} has choices but is not a string", where));
        }
        for (size_t i = 0; raw.choices[i] != nullptr; ++i) {
            if (i == kMaxSettings) {
                throw PluginError(fmt::format("{}: choices are not ended by NULL", where));
            }
            setting.choices.emplace_back(raw.choices[i]);
        }
    }
    if (setting.type == SettingType::TableList) {
        if (nested) {
            throw PluginError(
                fmt::format("{}: a table list inside a table list is not supported", where));
        }
        if (raw.fields == nullptr || raw.field_count == 0) {
            throw PluginError(fmt::format("{} is a table list without fields", where));
        }
        setting.fields =
            read_list(raw.fields, raw.field_count, fmt::format(" in '{}'", setting.name), true);
    } else if (raw.fields != nullptr || raw.field_count != 0) {
        throw PluginError(fmt::format("{} has fields but is not a table list", where));
    }
    return setting;
}

// The array's stride is the plugin's sizeof(hubgate_plugin_setting): its elements' struct_size.
std::vector<PluginSetting> read_list(const hubgate_plugin_setting* list, size_t count,
                                     const std::string& parent, bool nested) {
    if (count > kMaxSettings) {
        throw PluginError(fmt::format("declares {} settings{}; at most {} are supported", count,
                                      parent, kMaxSettings));
    }
    std::vector<PluginSetting> out;
    if (count == 0) {
        return out;
    }
    const uint32_t stride = list[0].struct_size;
    if (stride < kMinSettingSize) {
        throw PluginError(fmt::format(
            "declared settings{} have struct_size {}, smaller than the ABI 1.1 setting ({} "
            "bytes): set struct_size = sizeof(hubgate_plugin_setting)",
            parent, stride, kMinSettingSize));
    }
    std::set<std::string> names;
    const auto* bytes = reinterpret_cast<const unsigned char*>(list);
    for (size_t i = 0; i < count; ++i) {
        hubgate_plugin_setting raw{};
        std::memcpy(&raw, bytes + i * stride, std::min<size_t>(stride, sizeof raw));
        if (raw.struct_size != stride) {
            throw PluginError(fmt::format(
                "declared setting #{}{} has struct_size {}, the first has {}: every element "
                "must be a hubgate_plugin_setting",
                i + 1, parent, raw.struct_size, stride));
        }
        auto setting = read_one(raw, parent, nested);
        if (!names.insert(setting.name).second) {
            throw PluginError(
                fmt::format("declared setting '{}'{} is declared twice", setting.name, parent));
        }
        out.push_back(std::move(setting));
    }
    return out;
}

}  // namespace

const char* setting_type_name(SettingType type) {
    switch (type) {
        case SettingType::String:
            return "string";
        case SettingType::Integer:
            return "integer";
        case SettingType::Number:
            return "number";
        case SettingType::Boolean:
            return "boolean";
        case SettingType::StringList:
            return "array of strings";
        case SettingType::TableList:
            return "array of tables";
    }
    return "?";
}

const char* hook_id_name(int32_t hook_id) {
    switch (hook_id) {
        case HUBGATE_HOOK_DERIVE_DEVICE_ID:
            return "derive_device_id";
        case HUBGATE_HOOK_TRANSFORM_UPLINK:
            return "transform_uplink";
        case HUBGATE_HOOK_TRANSFORM_DOWNLINK:
            return "transform_downlink";
        default:
            return nullptr;
    }
}

void read_declarations(const hubgate_plugin_descriptor& descriptor, PluginInfo& info) {
    if (descriptor.settings != nullptr) {
        info.settings = read_list(descriptor.settings, descriptor.setting_count, "", false);
    } else if (descriptor.setting_count != 0) {
        throw PluginError("setting_count is set but settings is NULL");
    }
    if (descriptor.hooks != nullptr) {
        if (descriptor.hook_count > kMaxHooks) {
            throw PluginError(fmt::format("declares {} hooks; at most {} are supported",
                                          descriptor.hook_count, kMaxHooks));
        }
        info.hooks.emplace(descriptor.hooks, descriptor.hooks + descriptor.hook_count);
    } else if (descriptor.hook_count != 0) {
        throw PluginError("hook_count is set but hooks is NULL");
    }
}

}  // namespace hubgate::plugins
