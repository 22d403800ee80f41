#pragma once
// The seam between the mapping engine and plugins:
//  - mappings/ (pure, no dlopen) calls MessageHook at fixed points of routing;
//  - plugins/ (the loader) adapts each C-ABI plugin (plugins/include/hubgate/plugin.h) to it.
// Unit tests of the engine use fake hooks. A hook that fails rejects that one message: the engine
// counts it and reports the hook's message as the reason.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hubgate::mappings {

// Ordered name/value pairs: application properties and `$.`-prefixed system properties.
using Properties = std::vector<std::pair<std::string, std::string>>;

struct HookError {
    std::string message;
};

class MessageHook {
  public:
    virtual ~MessageHook() = default;
    virtual const std::string& name() const = 0;

    // Uplink, before the device id template: may set `device_id` (e.g. from a payload field).
    // Leaves it untouched to keep the rule's template.
    virtual std::optional<HookError> derive_device_id(std::string_view local_topic,
                                                      std::string_view payload,
                                                      std::string& device_id) {
        (void)local_topic, (void)payload, (void)device_id;
        return std::nullopt;
    }
    // Uplink, after the device id is known: may rewrite the payload and properties.
    virtual std::optional<HookError> transform_uplink(std::string_view device_id,
                                                      std::string& payload,
                                                      Properties& properties) {
        (void)device_id, (void)payload, (void)properties;
        return std::nullopt;
    }
    // Downlink (`kind`: "c2d", "desired", "method", "twin"): may rewrite the payload.
    virtual std::optional<HookError> transform_downlink(std::string_view device_id,
                                                        std::string_view kind,
                                                        std::string& payload) {
        (void)device_id, (void)kind, (void)payload;
        return std::nullopt;
    }
};

}  // namespace hubgate::mappings
