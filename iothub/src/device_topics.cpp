// Topics and the user name a device sends to IoT Hub.
#include "hubgate/iothub/device_topics.hpp"

#include <algorithm>

#include "hubgate/iothub/encoding.hpp"

namespace hubgate::iothub {

namespace {

constexpr std::string_view kEvents = "/messages/events/";
constexpr std::string_view kRidQuery = "/?$rid=";

// {prefix}{rid, encoded}, in one allocation.
std::string with_rid(std::string_view prefix, std::string_view rid) {
    std::string topic;
    topic.reserve(prefix.size() + url_encoded_size(rid));
    topic.append(prefix);
    url_encode_append(topic, rid);
    return topic;
}

}  // namespace

std::string mqtt_username(std::string_view hostname, std::string_view device_id,
                          std::string_view api_version, std::string_view model_id) {
    std::string username;
    username.append(hostname).append("/").append(device_id).append("/?api-version=");
    username.append(api_version);
    if (!model_id.empty()) {
        username.append("&model-id=").append(model_id);
    }
    return username;
}

void append_telemetry_topic(std::string& out, std::string_view device_id,
                            const Properties& properties) {
    // One size computation, one resize, then everything written in place.
    const std::size_t start = out.size();
    out.resize(start + kDevicesPrefix.size() + device_id.size() + kEvents.size() +
               property_bag_size(properties));
    char* cursor = out.data() + start;
    cursor = std::copy(kDevicesPrefix.begin(), kDevicesPrefix.end(), cursor);
    cursor = std::copy(device_id.begin(), device_id.end(), cursor);
    cursor = std::copy(kEvents.begin(), kEvents.end(), cursor);
    write_property_bag(cursor, properties);
}

std::string telemetry_topic(std::string_view device_id, const Properties& properties) {
    std::string topic;
    append_telemetry_topic(topic, device_id, properties);
    return topic;
}

std::string telemetry_topic(std::string_view device_id, const Properties& properties,
                            std::string_view message_id) {
    constexpr std::string_view kMessageId = "$.mid=";
    if (message_id.empty() || find_property(properties, "$.mid")) {
        return telemetry_topic(device_id, properties);
    }
    const std::size_t bag = property_bag_size(properties);
    std::string topic;
    topic.resize(kDevicesPrefix.size() + device_id.size() + kEvents.size() + bag +
                 (properties.empty() ? 0 : 1) + kMessageId.size() + url_encoded_size(message_id));
    char* cursor = topic.data();
    cursor = std::copy(kDevicesPrefix.begin(), kDevicesPrefix.end(), cursor);
    cursor = std::copy(device_id.begin(), device_id.end(), cursor);
    cursor = std::copy(kEvents.begin(), kEvents.end(), cursor);
    cursor = write_property_bag(cursor, properties);
    if (!properties.empty()) {
        *cursor++ = '&';
    }
    cursor = std::copy(kMessageId.begin(), kMessageId.end(), cursor);
    url_encode_into(cursor, message_id);
    return topic;
}

std::string telemetry_topic_with_bag(std::string_view device_id, std::string_view encoded_bag) {
    std::string topic;
    topic.reserve(kDevicesPrefix.size() + device_id.size() + kEvents.size() + encoded_bag.size());
    topic.append(kDevicesPrefix).append(device_id).append(kEvents).append(encoded_bag);
    return topic;
}

std::string twin_get_topic(std::string_view rid) {
    return with_rid("$iothub/twin/GET/?$rid=", rid);
}

std::string twin_patch_reported_topic(std::string_view rid) {
    return with_rid("$iothub/twin/PATCH/properties/reported/?$rid=", rid);
}

std::string method_response_topic(int status, std::string_view rid) {
    std::string prefix = "$iothub/methods/res/";
    prefix += std::to_string(status);
    prefix += kRidQuery;
    return with_rid(prefix, rid);
}

std::string c2d_filter(std::string_view device_id) {
    std::string filter;
    filter.append(kDevicesPrefix).append(device_id).append("/messages/devicebound/#");
    return filter;
}

}  // namespace hubgate::iothub
