// Topic rules of the IoT Hub MQTT dialect, as string matching (no wildcards are accepted).
#include "hubsim/common/device_topics.hpp"

#include <charconv>

#include "hubgate/iothub/hub_topics.hpp"

namespace hubsim {

namespace {

constexpr std::string_view kTwinGet = "$iothub/twin/GET/";
constexpr std::string_view kTwinPatchReported = "$iothub/twin/PATCH/properties/reported/";
constexpr std::string_view kMethodResponse = "$iothub/methods/res/";

std::string device_prefix(std::string_view device_id, std::string_view rest) {
    std::string out = "devices/";
    out += device_id;
    out += rest;
    return out;
}

// "?$rid=..." (with possibly more fields) -> the request id.
std::optional<std::string> request_id_of(std::string_view query) {
    if (!query.starts_with('?'))
        return std::nullopt;
    auto bag = parse_property_bag(query.substr(1));
    if (!bag)
        return std::nullopt;
    // "$rid" has no "$." prefix, so the bag files it among the application properties.
    auto rid = bag->application.find("$rid");
    if (rid == bag->application.end() || rid->second.empty())
        return std::nullopt;
    return rid->second;
}

DevicePublish invalid(std::string why) {
    DevicePublish result;
    result.error = std::move(why);
    return result;
}

DevicePublish with_rid(DevicePublishKind kind, std::string_view query) {
    auto rid = request_id_of(query);
    if (!rid)
        return invalid("missing or malformed $rid");
    DevicePublish result;
    result.kind = kind;
    result.request_id = *rid;
    return result;
}

}  // namespace

DevicePublish classify_device_publish(std::string_view device_id, std::string_view topic) {
    std::string events = device_prefix(device_id, "/messages/events");
    // Tolerated without the trailing '/', as the hub does.
    if (topic.starts_with(events) &&
        (topic.size() == events.size() || topic[events.size()] == '/')) {
        std::string_view bag = topic.size() > events.size() ? topic.substr(events.size() + 1) : "";
        auto properties = parse_property_bag(bag);
        if (!properties)
            return invalid("malformed property bag");
        DevicePublish result;
        result.kind = DevicePublishKind::telemetry;
        result.properties = std::move(*properties);
        return result;
    }
    if (topic.starts_with("devices/"))
        return invalid("topic of another device or undocumented");
    if (topic.starts_with(kTwinGet)) {
        return with_rid(DevicePublishKind::twin_get, topic.substr(kTwinGet.size()));
    }
    if (topic.starts_with(kTwinPatchReported)) {
        return with_rid(DevicePublishKind::twin_patch_reported,
                        topic.substr(kTwinPatchReported.size()));
    }
    if (topic.starts_with(kMethodResponse)) {
        std::string_view rest = topic.substr(kMethodResponse.size());
        auto slash = rest.find('/');
        if (slash == std::string_view::npos)
            return invalid("method response without status");
        int status = 0;
        auto [end, ec] = std::from_chars(rest.data(), rest.data() + slash, status);
        if (ec != std::errc{} || end != rest.data() + slash)
            return invalid("method status is not an integer");
        auto result = with_rid(DevicePublishKind::method_response, rest.substr(slash + 1));
        result.status = status;
        return result;
    }
    return invalid("undocumented topic");
}

std::optional<DeviceSubscription> classify_device_subscription(std::string_view device_id,
                                                               std::string_view filter) {
    if (filter == device_prefix(device_id, "/messages/devicebound/#"))
        return DeviceSubscription::c2d;
    if (filter == "$iothub/twin/res/#")
        return DeviceSubscription::twin_responses;
    if (filter == "$iothub/twin/PATCH/properties/desired/#")
        return DeviceSubscription::desired_patches;
    if (filter == "$iothub/methods/POST/#")
        return DeviceSubscription::methods;
    return std::nullopt;
}

bool is_device_downlink_topic(std::string_view device_id, std::string_view topic) {
    return topic.starts_with(device_prefix(device_id, "/messages/devicebound/")) ||
           topic.starts_with(hubgate::iothub::kTwinResponsePrefix) ||
           topic.starts_with(hubgate::iothub::kDesiredPatchPrefix) ||
           topic.starts_with(hubgate::iothub::kMethodRequestPrefix);
}

std::string c2d_topic(std::string_view device_id, const PropertyBag& properties) {
    return hubgate::iothub::c2d_topic(device_id, to_properties(properties));
}

}  // namespace hubsim
