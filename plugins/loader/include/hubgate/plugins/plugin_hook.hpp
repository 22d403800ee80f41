#pragma once
// One plugin instance seen by the mapping engine as a MessageHook.

#include <hubgate/plugin.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "hubgate/mappings/message_hook.hpp"
#include "hubgate/plugins/plugin_library.hpp"

namespace hubgate::plugins {

// The hooks a plugin can register (HUBGATE_HOOK_* in plugin.h).
enum class Hook { DeriveDeviceId = 0, TransformUplink = 1, TransformDownlink = 2 };
inline constexpr size_t kHookCount = 3;

// How often one hook of one instance ran and how often it rejected a message (an error code,
// a failed setter, or an exception that should not have crossed the ABI).
struct HookCounters {
    uint64_t calls = 0;
    uint64_t failures = 0;
};

// A created plugin instance adapted to the engine's MessageHook: each call fills the hook's C
// event, calls the plugin, and turns a failure into a HookError. Never throws on the message
// path; hooks the plugin did not register are no-ops and are not counted. Calls into one
// instance are serialised (the ABI promises plugins that), so any thread may call.
class PluginHook final : public mappings::MessageHook {
  public:
    // Calls the plugin's create(); throws PluginError with the plugin's reason when it fails.
    PluginHook(std::shared_ptr<PluginLibrary> library, std::string instance_name,
               const std::string& config_json);
    ~PluginHook() override;
    PluginHook(const PluginHook&) = delete;
    PluginHook& operator=(const PluginHook&) = delete;

    const std::string& name() const override { return name_; }
    const PluginInfo& info() const { return library_->info(); }
    bool implements(Hook hook) const { return hooks_[index(hook)] != nullptr; }
    HookCounters counters(Hook hook) const;

    std::optional<mappings::HookError> derive_device_id(std::string_view local_topic,
                                                        std::string_view payload,
                                                        std::string& device_id) override;
    std::optional<mappings::HookError> transform_uplink(std::string_view device_id,
                                                        std::string& payload,
                                                        mappings::Properties& properties) override;
    std::optional<mappings::HookError> transform_downlink(std::string_view device_id,
                                                          std::string_view kind,
                                                          std::string& payload) override;

  private:
    struct AtomicCounters {
        std::atomic<uint64_t> calls{0};
        std::atomic<uint64_t> failures{0};
    };
    static size_t index(Hook hook) { return static_cast<size_t>(hook); }
    static int register_hook(const hubgate_plugin_host* host, int32_t hook_id, hubgate_hook_fn fn);
    static void log(const hubgate_plugin_host* host, int level, const char* message);

    // Runs `fn` on `event`; `setter_error` is what a setter reported during the call, if any.
    std::optional<mappings::HookError> call(Hook hook, void* event,
                                            const std::optional<std::string>& setter_error);
    std::optional<mappings::HookError> fail(Hook hook, std::string reason);

    std::shared_ptr<PluginLibrary> library_;
    std::string name_;
    hubgate_plugin_host host_{};  // stays valid for the instance's life (plugins may keep it)
    bool creating_ = false;       // register_hook is only allowed inside create()
    void* instance_ = nullptr;
    std::array<hubgate_hook_fn, kHookCount> hooks_{};
    std::array<AtomicCounters, kHookCount> counters_;
    std::mutex call_mutex_;
};

}  // namespace hubgate::plugins
