#include "gateway/core/guarded_hook.hpp"

namespace hubgate::core {

std::optional<mappings::HookError> GuardedHook::derive_device_id(std::string_view local_topic,
                                                                 std::string_view payload,
                                                                 std::string& device_id) {
    if (plugin_.implements(plugins::Hook::DeriveDeviceId)) {
        listener_.entering(plugin_.name(), "derive_device_id");
    }
    return plugin_.derive_device_id(local_topic, payload, device_id);
}

std::optional<mappings::HookError> GuardedHook::transform_uplink(std::string_view device_id,
                                                                 std::string& payload,
                                                                 mappings::Properties& properties) {
    if (plugin_.implements(plugins::Hook::TransformUplink)) {
        listener_.entering(plugin_.name(), "transform_uplink");
    }
    return plugin_.transform_uplink(device_id, payload, properties);
}

std::optional<mappings::HookError> GuardedHook::transform_downlink(std::string_view device_id,
                                                                   std::string_view kind,
                                                                   std::string& payload) {
    if (plugin_.implements(plugins::Hook::TransformDownlink)) {
        listener_.entering(plugin_.name(), "transform_downlink");
    }
    return plugin_.transform_downlink(device_id, kind, payload);
}

}  // namespace hubgate::core
