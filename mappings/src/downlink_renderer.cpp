// MappingSet::render_downlink: device id → class and captures → local topic and payload.

#include "compiled_rules.hpp"
#include "downlink_values.hpp"
#include "hubgate/mappings/device_directory.hpp"
#include "template_values.hpp"

namespace hubgate::mappings {

DownlinkResult MappingSet::render_downlink(std::string_view device_id, DownlinkKind kind,
                                           const DownlinkVars& vars, std::string payload,
                                           const DeviceDirectory& directory) const {
    const Impl& impl = *impl_;
    const std::vector<std::pair<std::string, std::string>>* captures = nullptr;
    std::string_view class_name;
    if (const DeviceRecord* record = directory.find(device_id)) {
        captures = &record->captures;
        class_name = record->device_class;
    } else if (const auto known = impl.static_devices.find(device_id);
               known != impl.static_devices.end()) {
        captures = &known->second.captures;
        class_name = impl.classes[known->second.device_class].name;
    } else {
        return Rejection{RejectReason::unknown_device,
                         "device \"" + std::string(device_id) +
                             "\" has not been seen on the local broker and is in no static"
                             " device table",
                         {}};
    }
    const auto class_index = impl.class_by_name.find(class_name);
    if (class_index == impl.class_by_name.end()) {
        return Rejection{RejectReason::unknown_device,
                         "device \"" + std::string(device_id) + "\" belongs to device class \"" +
                             std::string(class_name) + "\", which the mapping files no longer have",
                         {}};
    }
    const DeviceClass& device_class = impl.classes[class_index->second];
    const auto& downlink = device_class.downlinks[static_cast<std::size_t>(kind)];
    if (!downlink) {
        return Rejection{RejectReason::no_downlink_template,
                         "device class \"" + device_class.name + "\" has no [downlink] " +
                             std::string(to_string(kind)) + " topic",
                         device_class.position};
    }

    std::string status;
    std::string version;
    // The first value from the cloud that would reshape the topic; the message is refused.
    std::optional<std::string> unsafe_value;
    const auto from_cloud = [&](std::string_view name, std::string_view value,
                                LeadingDollar dollar =
                                    LeadingDollar::refused) -> std::optional<std::string_view> {
        if (!unsafe_value)
            unsafe_value = downlink_value_problem(name, value, dollar);
        return value;
    };
    DownlinkRoute route;
    const auto missing = downlink->topic.render(
        [&](std::string_view name) -> std::optional<std::string_view> {
            if (name == "device_id")
                return device_id;
            if (name == "method") {
                if (vars.method.empty())
                    return std::nullopt;
                return from_cloud(name, vars.method);
            }
            if (name == "rid") {
                if (vars.rid.empty())
                    return std::nullopt;
                return from_cloud(name, vars.rid);
            }
            if (name == "status") {
                if (!vars.status)
                    return std::nullopt;
                status = std::to_string(*vars.status);
                return from_cloud(name, status);
            }
            if (name == "properties") {
                return from_cloud(name, vars.properties, LeadingDollar::allowed);
            }
            if (name == "version") {
                if (!vars.version)
                    return std::nullopt;
                version = std::to_string(*vars.version);
                return from_cloud(name, version);
            }
            return find_capture(*captures, name);
        },
        route.topic);
    if (missing) {
        return Rejection{RejectReason::missing_value,
                         "no value for {" + std::string(*missing) + "} in \"" +
                             downlink->topic.text() + "\" for device \"" + std::string(device_id) +
                             "\"",
                         downlink->position};
    }
    if (unsafe_value) {
        return Rejection{RejectReason::invalid_local_topic,
                         *unsafe_value + " (\"" + downlink->topic.text() + "\", device \"" +
                             std::string(device_id) + "\")",
                         downlink->position};
    }
    if (auto problem = local_topic_error(route.topic)) {
        return Rejection{RejectReason::invalid_local_topic, *problem, downlink->position};
    }
    for (MessageHook* hook : device_class.hooks) {
        if (auto failure = hook->transform_downlink(device_id, hook_kind_name(kind), payload)) {
            return Rejection{RejectReason::hook_failed,
                             "plugin \"" + hook->name() + "\" failed: " + failure->message,
                             downlink->position};
        }
    }
    route.payload = std::move(payload);
    route.retain = downlink->retain;
    route.qos = downlink->qos;
    route.reply_timeout = downlink->reply_timeout;
    route.device_class = device_class.name;
    route.rule = downlink->position;
    return route;
}

}  // namespace hubgate::mappings
