#pragma once
// A plugin instance seen through a listener that is told, just before the plugin runs, that a
// message enters one of its hooks, uplink or downlink (PoisonGuard notes it durably). Only hooks
// the plugin registered are reported: a route whose plugins do nothing costs nothing.

#include <string_view>

#include "hubgate/mappings/message_hook.hpp"
#include "hubgate/plugins/plugin_hook.hpp"

namespace hubgate::core {

class HookEntryListener {
  public:
    virtual ~HookEntryListener() = default;
    // On the thread that runs the hook, right before `plugin`'s `hook` is called.
    virtual void entering(std::string_view plugin, std::string_view hook) = 0;
};

class GuardedHook final : public mappings::MessageHook {
  public:
    // Both must outlive this object.
    GuardedHook(plugins::PluginHook& plugin, HookEntryListener& listener)
        : plugin_(plugin), listener_(listener) {}

    const std::string& name() const override { return plugin_.name(); }
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
    plugins::PluginHook& plugin_;
    HookEntryListener& listener_;
};

}  // namespace hubgate::core
