// Resolves a configured plugin file against the plugin directory and creates the instance.
#include "hubgate/plugins/plugin_loader.hpp"

#include <fmt/core.h>

#include "hubgate/plugins/plugin_error.hpp"

namespace hubgate::plugins {
namespace {

// Same rule as the config's `plugins.dir`: relative names live in the plugin directory.
std::filesystem::path resolve(const std::filesystem::path& plugin_dir, const PluginSpec& spec) {
    if (spec.file.empty()) {
        throw PluginError(fmt::format("plugin '{}': no plugin file given", spec.name));
    }
    return spec.file.is_absolute() ? spec.file : plugin_dir / spec.file;
}

}  // namespace

std::shared_ptr<PluginLibrary> open_plugin(const std::filesystem::path& plugin_dir,
                                           const PluginSpec& spec) {
    const auto path = resolve(plugin_dir, spec);
    try {
        return PluginLibrary::open(path);
    } catch (const PluginError& e) {
        throw PluginError(fmt::format("plugin '{}': {}", spec.name, e.what()));
    }
}

std::unique_ptr<PluginHook> load_plugin(const std::filesystem::path& plugin_dir,
                                        const PluginSpec& spec) {
    return std::make_unique<PluginHook>(open_plugin(plugin_dir, spec), spec.name,
                                        spec.config_json.empty() ? "{}" : spec.config_json);
}

}  // namespace hubgate::plugins
