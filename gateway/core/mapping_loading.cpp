#include "gateway/core/mapping_loading.hpp"

#include <glob.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "gateway/config/plugin_settings.hpp"
#include "gateway/config/validators.hpp"
#include "hubgate/plugins/plugin_error.hpp"
#include "hubgate/plugins/plugin_loader.hpp"

namespace hubgate::core {

std::vector<std::string> expand_mapping_globs(const config::Config& config) {
    std::vector<std::string> files;
    for (const auto& pattern : config.mappings) {
        glob_t matches{};
        if (glob(pattern.c_str(), GLOB_NOSORT, nullptr, &matches) == 0) {
            for (size_t i = 0; i < matches.gl_pathc; ++i) {
                files.emplace_back(matches.gl_pathv[i]);
            }
        }
        globfree(&matches);
    }
    std::sort(files.begin(), files.end());
    files.erase(std::unique(files.begin(), files.end()), files.end());
    return files;
}

namespace {

// A plugin's declarations in the config library's terms (it does not know plugin.h).
std::vector<config::DeclaredSetting> declared_settings(
    const std::vector<plugins::PluginSetting>& settings) {
    std::vector<config::DeclaredSetting> out;
    for (const auto& setting : settings) {
        config::DeclaredSetting declared;
        declared.name = setting.name;
        declared.kind = static_cast<config::SettingKind>(setting.type);
        declared.default_json = setting.default_json;
        declared.required = setting.required;
        declared.choices = setting.choices;
        declared.fields = declared_settings(setting.fields);
        out.push_back(std::move(declared));
    }
    return out;
}
static_assert(static_cast<int>(config::SettingKind::TableList) ==
              static_cast<int>(plugins::SettingType::TableList));

// Opens a plugin, checks its config against the settings it declares (if it declares them) and
// creates the instance with the declared defaults filled in.
std::unique_ptr<plugins::PluginHook> create_plugin(const config::Config& config,
                                                   const config::PluginConfig& plugin,
                                                   const plugins::PluginSpec& spec,
                                                   std::vector<config::Diagnostic>& errors) {
    auto library = plugins::open_plugin(config.plugins.dir, spec);
    std::string config_json = plugin.config_json;
    if (const auto& settings = library->info().settings) {
        auto checked = config::check_plugin_settings(config, plugin, library->info().name,
                                                     declared_settings(*settings));
        if (!checked.ok()) {
            errors.insert(errors.end(), checked.diagnostics.begin(), checked.diagnostics.end());
            return nullptr;
        }
        config_json = std::move(checked.config_json);
    }
    return std::make_unique<plugins::PluginHook>(std::move(library), spec.name, config_json);
}

// Loads the plugins and the mapping files that exist; every error as a config diagnostic.
// Warnings (overlapping rules) are logged.
std::vector<config::Diagnostic> load_existing(const config::Config& config, LoadedMappings& loaded,
                                              HookEntryListener* listener = nullptr) {
    std::vector<config::Diagnostic> errors;
    for (const auto& plugin : config.plugins.plugins) {
        plugins::PluginSpec spec;
        spec.name = plugin.name;
        // The loader wants the file relative to the plugin directory (it refuses anything
        // outside it); the config has resolved it to an absolute path.
        spec.file = plugin.file.lexically_relative(config.plugins.dir).string();
        if (spec.file.empty()) {
            spec.file = plugin.file.string();
        }
        try {
            auto hook = create_plugin(config, plugin, spec, errors);
            if (hook == nullptr) {
                continue;
            }
            loaded.hooks.push_back(std::move(hook));
            const auto& info = loaded.hooks.back()->info();
            spdlog::info("plugin {}: {} {} ({})", plugin.name, info.name, info.version,
                         info.file.string());
        } catch (const plugins::PluginError& e) {
            errors.push_back({plugin.where.file, plugin.where.line, plugin.where.col,
                              "plugins." + plugin.name, e.what()});
        }
    }
    if (!errors.empty()) {
        return errors;
    }

    loaded.files = expand_mapping_globs(config);
    if (loaded.files.empty()) {
        return errors;
    }
    if (listener != nullptr) {
        for (const auto& hook : loaded.hooks) {
            loaded.guarded.push_back(std::make_unique<GuardedHook>(*hook, *listener));
        }
    }
    mappings::LoadOptions options;
    options.hooks = [&loaded](std::string_view name) -> mappings::MessageHook* {
        for (std::size_t i = 0; i < loaded.hooks.size(); ++i) {
            if (loaded.hooks[i]->name() == name) {
                return loaded.guarded.empty()
                           ? static_cast<mappings::MessageHook*>(loaded.hooks[i].get())
                           : loaded.guarded[i].get();
            }
        }
        return nullptr;
    };
    auto result = mappings::MappingSet::load_files(loaded.files, options);
    for (const auto& diagnostic : result.diagnostics) {
        if (diagnostic.severity == mappings::LoadDiagnostic::Severity::warning) {
            spdlog::warn("{}", diagnostic.to_string());
        } else {
            errors.push_back(
                {diagnostic.file, diagnostic.line, diagnostic.column, "", diagnostic.message});
        }
    }
    if (result.ok()) {
        loaded.set = std::move(result.set);
    }
    return errors;
}

// `hubgate check` loads every plugin and mapping file the config names, as the daemon would.
// A pattern that matches no file is not an error here: a freshly installed package has none
// yet (`hubgate run` refuses to start without rules).
const config::ValidatorRegistrar check_mappings_and_plugins{
    "mappings and plugins", [](const config::Config& config) {
        LoadedMappings loaded;
        return load_existing(config, loaded);
    }};

}  // namespace

bool load_mappings(const config::Config& config, LoadedMappings& loaded,
                   std::vector<std::string>& errors, HookEntryListener* listener) {
    for (const auto& diagnostic : load_existing(config, loaded, listener)) {
        errors.push_back(config::format_diagnostic(diagnostic));
    }
    if (!errors.empty()) {
        return false;
    }
    if (loaded.files.empty()) {
        errors.push_back("no mapping file matches the config's `mappings` patterns");
        return false;
    }
    return loaded.set.has_value();
}

}  // namespace hubgate::core
