// A plugin's declarations become a key table like the schema's, so the loader's walker checks
// the config table (no second implementation of "did you mean" or type messages), then the
// declared defaults are added to a copy of the table and it is handed on as JSON.
#include "gateway/config/plugin_settings.hpp"

#include <deque>

#include "gateway/config/parsed_document.hpp"
#include "gateway/config/value_reader.hpp"

namespace hubgate::config {

namespace {

Kind kind_for(const DeclaredSetting& setting) {
    switch (setting.kind) {
        case SettingKind::String:
            return setting.choices.empty() ? Kind::String : Kind::Enum;
        case SettingKind::Integer:
            return Kind::Integer;
        case SettingKind::Number:
            return Kind::Number;
        case SettingKind::Boolean:
            return Kind::Bool;
        case SettingKind::StringList:
            return Kind::StringList;
        case SettingKind::TableList:
            return Kind::TableList;
    }
    return Kind::String;
}

// KeySpecs hold string_views: this owns the text they point into.
struct DeclaredKeys {
    std::deque<std::string> text;
    std::vector<KeySpec> keys;

    std::string_view keep(std::string value) { return text.emplace_back(std::move(value)); }

    void add(const std::vector<DeclaredSetting>& settings, const std::string& parent) {
        for (const auto& setting : settings) {
            KeySpec spec;
            const std::string path = parent.empty() ? setting.name : parent + "." + setting.name;
            spec.path = keep(path);
            spec.kind = kind_for(setting);
            spec.default_literal = setting.default_json ? keep(*setting.default_json) : "";
            spec.required = setting.required;
            for (const auto& choice : setting.choices) {
                spec.choices.push_back(keep(choice));
            }
            keys.push_back(std::move(spec));
            add(setting.fields, path);
        }
    }
};

// The default as a TOML node in `holder` (a JSON scalar or an array of scalars is also a TOML
// value), checked against its own declaration; nullptr and `problem` when the plugin declared
// it wrongly.
const toml::node* parse_default(const KeySpec& spec, toml::table& holder, std::string& problem) {
    try {
        holder = toml::parse("v = " + std::string(spec.default_literal));
    } catch (const toml::parse_error& e) {
        problem = std::string(e.description());
        return nullptr;
    }
    const toml::node* node = holder.get("v");
    if (spec.kind == Kind::TableList) {
        if (!node->is_array() || !node->as_array()->empty()) {
            problem = "a table list's default can only be []";
            return nullptr;
        }
        return node;
    }
    const auto read = read_value(spec, *node, ReadContext{});
    if (!read.ok()) {
        problem = read.error;
        return nullptr;
    }
    return node;
}

// Every declared default, checked before any is used: a plugin bug shows on the first check.
std::vector<Diagnostic> check_defaults(const DeclaredKeys& declared, const PluginConfig& plugin,
                                       const std::string& plugin_name) {
    std::vector<Diagnostic> out;
    for (const auto& spec : declared.keys) {
        toml::table holder;
        std::string problem;
        if (!spec.default_literal.empty() && parse_default(spec, holder, problem) == nullptr) {
            out.push_back({plugin.where.file, plugin.where.line, plugin.where.col,
                           "plugins." + plugin.name,
                           "plugin " + plugin_name + " declares an invalid default for '" +
                               std::string(spec.path) + "': " + problem +
                               " (a bug in the plugin: tell its author)"});
        }
    }
    return out;
}

// Adds the defaults of keys absent from `table`, recursing into table lists.
void fill_defaults(const DeclaredKeys& declared, toml::table& table, std::string_view parent) {
    for (const KeySpec* spec : keys_under(declared.keys, parent)) {
        const std::string name(spec->path.substr(parent.empty() ? 0 : parent.size() + 1));
        if (!table.contains(name) && !spec->default_literal.empty()) {
            toml::table holder;
            std::string problem;
            if (const toml::node* value = parse_default(*spec, holder, problem))
                table.insert(name, *value);
        }
        if (auto* array = table.get_as<toml::array>(name); array && spec->kind == Kind::TableList) {
            for (auto& element : *array) {
                if (auto* inner = element.as_table())
                    fill_defaults(declared, *inner, spec->path);
            }
        }
    }
}

}  // namespace

PluginSettingsResult check_plugin_settings(const Config& config, const PluginConfig& plugin,
                                           const std::string& plugin_name,
                                           const std::vector<DeclaredSetting>& declared) {
    DeclaredKeys keys;
    keys.add(declared, "");
    const std::string display = "plugins." + plugin.name + ".config";

    PluginSettingsResult result;
    result.diagnostics = check_defaults(keys, plugin, plugin_name);
    if (!result.ok())
        return result;
    const toml::table empty;  // an instance without a config table has an empty one
    const toml::table* written = &empty;
    SourcePos table_pos = plugin.where;
    if (config.document != nullptr) {
        const auto node = config.document->root["plugins"][plugin.name]["config"];
        if (const auto* found = node.as_table()) {
            written = found;
            table_pos = config.position_of(display);
        }
    } else if (plugin.config_json != "{}") {
        result.diagnostics.push_back({plugin.where.file, plugin.where.line, plugin.where.col,
                                      display, "the config table was not kept to be checked"});
        return result;
    }
    // The parsed table itself: a copy would lose the source positions.
    result.diagnostics = check_table(keys.keys, *written, config.source_file, display, table_pos);
    if (!result.ok())
        return result;

    toml::table table = *written;
    fill_defaults(keys, table, "");
    const KeySpec as_json{.path = "config", .kind = Kind::FreeTable};
    result.config_json = std::get<std::string>(read_value(as_json, table, ReadContext{}).value);
    return result;
}

}  // namespace hubgate::config
