#pragma once
// Loads what routing needs from the config: the plugin instances ([plugins.<name>]) and the
// mapping files (glob patterns in `mappings`), compiled into one MappingSet.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gateway/config/config.hpp"
#include "hubgate/mappings/mapping_set.hpp"
#include "hubgate/plugins/plugin_hook.hpp"

#include "gateway/core/guarded_hook.hpp"

namespace hubgate::core {

// The compiled rules and the plugin instances their hooks point into (kept alive together).
struct LoadedMappings {
    std::vector<std::unique_ptr<plugins::PluginHook>> hooks;
    std::vector<std::unique_ptr<GuardedHook>> guarded;  // what the rules call, with a listener
    std::optional<mappings::MappingSet> set;
    std::vector<std::string> files;
};

// Every mapping file named by the config's glob patterns, sorted, without repeats.
std::vector<std::string> expand_mapping_globs(const config::Config& config);

// False with every problem in `errors` (file:line:col messages) when a plugin cannot be loaded
// or a mapping file has errors; warnings are logged. With `listener`, the rules call every
// plugin through a GuardedHook that tells it about each uplink hook entry.
bool load_mappings(const config::Config& config, LoadedMappings& loaded,
                   std::vector<std::string>& errors, HookEntryListener* listener = nullptr);

}  // namespace hubgate::core
