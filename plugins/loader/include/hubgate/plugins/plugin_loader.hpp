#pragma once
// Entry point of the loader: one configured plugin instance → a MessageHook for the engine.

#include <filesystem>
#include <memory>
#include <string>

#include "hubgate/plugins/plugin_hook.hpp"

namespace hubgate::plugins {

// One plugin instance as configured: `[plugins.<name>]` with `file` and a `config` table.
struct PluginSpec {
    std::string name;                // the instance name used by mapping rules and in logs
    std::filesystem::path file;      // relative: found in the plugin directory
    std::string config_json = "{}";  // the instance's config as a JSON object
};

// Opens `spec.file` (a relative name is looked up in `plugin_dir`) and checks its descriptor,
// without creating an instance: what a caller needs to check the config against the plugin's
// declared settings first. Throws PluginError naming the instance and file.
std::shared_ptr<PluginLibrary> open_plugin(const std::filesystem::path& plugin_dir,
                                           const PluginSpec& spec);

// Opens `spec.file` (a relative name is looked up in `plugin_dir`, never on the library search
// path), checks its descriptor and creates the instance. Throws PluginError naming the instance
// and file: no file given, file missing or not loadable, no entry point, ABI mismatch, bad
// descriptor, or create() refused the config.
std::unique_ptr<PluginHook> load_plugin(const std::filesystem::path& plugin_dir,
                                        const PluginSpec& spec);

}  // namespace hubgate::plugins
