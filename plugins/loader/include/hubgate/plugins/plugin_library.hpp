#pragma once
// A plugin file opened with dlopen, with its descriptor checked against this host's ABI.

#include <hubgate/plugin.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hubgate/plugins/plugin_setting.hpp"

namespace hubgate::plugins {

// What a plugin says about itself (copied from its descriptor).
struct PluginInfo {
    std::filesystem::path file;
    std::string name;
    std::string version;
    std::string summary;
    std::string trust;
    uint16_t abi_major = 0;
    uint16_t abi_minor = 0;
    // Declared in the descriptor (ABI 1.1); nullopt: not declared (a 1.0 plugin, or NULL).
    std::optional<std::vector<PluginSetting>> settings;
    std::optional<std::vector<int32_t>> hooks;  // HUBGATE_HOOK_* ids create() registers
};

// An open plugin file: dlopen(RTLD_NOW | RTLD_LOCAL) and a validated copy of its descriptor.
// Shared by every instance created from it; dlclose runs when the last one goes.
class PluginLibrary {
  public:
    // Throws PluginError: file missing or not loadable, no entry point, entry returns NULL,
    // another major ABI version, struct_size smaller than the 1.0 descriptor, missing fields,
    // declared settings or hooks that are malformed.
    static std::shared_ptr<PluginLibrary> open(const std::filesystem::path& file);

    ~PluginLibrary();
    PluginLibrary(const PluginLibrary&) = delete;
    PluginLibrary& operator=(const PluginLibrary&) = delete;

    const PluginInfo& info() const { return info_; }
    // The fields this host knows; fields a newer plugin appended are not copied.
    const hubgate_plugin_descriptor& descriptor() const { return descriptor_; }

  private:
    PluginLibrary() = default;

    void* handle_ = nullptr;
    hubgate_plugin_descriptor descriptor_{};
    PluginInfo info_;
};

}  // namespace hubgate::plugins
