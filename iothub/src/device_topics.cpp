// Topics and the user name a device sends to IoT Hub.
#include "hubgate/iothub/device_topics.hpp"

#include <algorithm>

#include "hubgate/iothub/encoding.hpp"

namespace hubgate::iothub {

namespace {

constexpr std::string_view kEvents = "/messages/events/";
constexpr std::string_view kMessageId = "$.mid=";
constexpr std::string_view kRidQuery = "/?$rid=";

// {prefix}{rid, encoded}, in one allocation.
std::string with_rid(std::string_view prefix, std::string_view rid) {
    std::string topic;
    topic.reserve(prefix.size() + url_encoded_size(rid));
    topic.append(prefix);
    url_encode_append(topic, rid);
    return topic;
}

// The length of devices/{id}/messages/events/{bag} for a bag of `bag_size` characters.
std::size_t events_topic_size(std::string_view device_id, std::size_t bag_size) {
    return kDevicesPrefix.size() + device_id.size() + kEvents.size() + bag_size;
}

// Writes devices/{id}/messages/events/{bag} at `out`, which has room for events_topic_size();
// returns the end of what was written.
char* write_events_topic(char* out, std::string_view device_id, const Properties& properties) {
    out = std::copy(kDevicesPrefix.begin(), kDevicesPrefix.end(), out);
    out = std::copy(device_id.begin(), device_id.end(), out);
    out = std::copy(kEvents.begin(), kEvents.end(), out);
    return write_property_bag(out, properties);
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
    out.resize(start + events_topic_size(device_id, property_bag_size(properties)));
    write_events_topic(out.data() + start, device_id, properties);
}

std::string telemetry_topic(std::string_view device_id, const Properties& properties) {
    std::string topic;
    append_telemetry_topic(topic, device_id, properties);
    return topic;
}

std::string telemetry_topic(std::string_view device_id, const Properties& properties,
                            std::string_view message_id) {
    if (message_id.empty() || find_property(properties, "$.mid")) {
        return telemetry_topic(device_id, properties);
    }
    std::string topic;
    topic.resize(events_topic_size(device_id, property_bag_size(properties)) +
                 (properties.empty() ? 0 : 1) + kMessageId.size() + url_encoded_size(message_id));
    char* cursor = write_events_topic(topic.data(), device_id, properties);
    if (!properties.empty()) {
        *cursor++ = '&';
    }
    cursor = std::copy(kMessageId.begin(), kMessageId.end(), cursor);
    url_encode_into(cursor, message_id);
    return topic;
}

std::string telemetry_topic_with_bag(std::string_view device_id, std::string_view encoded_bag) {
    std::string topic;
    topic.reserve(events_topic_size(device_id, encoded_bag.size()));
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
