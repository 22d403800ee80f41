// Topics IoT Hub delivers to a device: built by hubsim, parsed by the device sessions.
#include "hubgate/iothub/hub_topics.hpp"

#include <charconv>

#include "hubgate/iothub/device_topics.hpp"
#include "hubgate/iothub/encoding.hpp"

namespace hubgate::iothub {

namespace {

constexpr std::string_view kDevicebound = "/messages/devicebound/";

template <typename Int>
std::optional<Int> parse_int(std::string_view text) {
    Int value{};
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (text.empty() || ec != std::errc() || ptr != end) {
        return std::nullopt;
    }
    return value;
}

// Splits "a/b/?query" into the path before "/?" and the query after it.
std::pair<std::string_view, std::string_view> split_query(std::string_view topic) {
    const std::size_t pos = topic.find("/?");
    if (pos == std::string_view::npos) {
        return {topic, {}};
    }
    return {topic.substr(0, pos), topic.substr(pos + 2)};
}

std::optional<int64_t> version_of(const Properties& query) {
    const auto version = find_property(query, "$version");
    return version ? parse_int<int64_t>(*version) : std::nullopt;
}

DownlinkTopic parse_twin_response(std::string_view rest) {
    const auto [path, query_text] = split_query(rest);
    const auto status = parse_int<int>(path);
    const auto query = decode_property_bag(query_text);
    if (!status || !query) {
        return UnknownTopic{"malformed twin response topic"};
    }
    const auto rid = find_property(*query, "$rid");
    if (!rid) {
        return UnknownTopic{"twin response without $rid"};
    }
    return TwinResponseTopic{*status, std::string(*rid), version_of(*query)};
}

DownlinkTopic parse_desired_patch(std::string_view rest) {
    const auto query = decode_property_bag(rest.starts_with('?') ? rest.substr(1) : rest);
    if (!query) {
        return UnknownTopic{"malformed desired patch topic"};
    }
    return DesiredPatchTopic{version_of(*query)};
}

DownlinkTopic parse_method_request(std::string_view rest) {
    const auto [name, query_text] = split_query(rest);
    const auto query = decode_property_bag(query_text);
    if (name.empty() || !query) {
        return UnknownTopic{"malformed method request topic"};
    }
    const auto rid = find_property(*query, "$rid");
    if (!rid) {
        return UnknownTopic{"method request without $rid"};
    }
    return MethodRequestTopic{std::string(name), std::string(*rid)};
}

}  // namespace

std::string c2d_topic(std::string_view device_id, const Properties& properties) {
    std::string topic;
    topic.reserve(kDevicesPrefix.size() + device_id.size() + kDevicebound.size() +
                  property_bag_size(properties, SystemNames::escaped));
    topic.append(kDevicesPrefix).append(device_id).append(kDevicebound);
    append_property_bag(topic, properties, SystemNames::escaped);
    return topic;
}

std::string twin_response_topic(int status, std::string_view rid, std::optional<int64_t> version) {
    std::string topic(kTwinResponsePrefix);
    topic += std::to_string(status);
    topic += "/?$rid=";
    url_encode_append(topic, rid);
    if (version) {
        topic += "&$version=";
        topic += std::to_string(*version);
    }
    return topic;
}

std::string desired_patch_topic(int64_t version) {
    std::string topic(kDesiredPatchPrefix);
    topic += "?$version=";
    topic += std::to_string(version);
    return topic;
}

std::string method_request_topic(std::string_view method_name, std::string_view rid) {
    std::string topic(kMethodRequestPrefix);
    topic += method_name;
    topic += "/?$rid=";
    url_encode_append(topic, rid);
    return topic;
}

DownlinkTopic parse_downlink_topic(std::string_view device_id, std::string_view topic) {
    if (topic.starts_with(kTwinResponsePrefix)) {
        return parse_twin_response(topic.substr(kTwinResponsePrefix.size()));
    }
    if (topic.starts_with(kDesiredPatchPrefix)) {
        return parse_desired_patch(topic.substr(kDesiredPatchPrefix.size()));
    }
    if (topic.starts_with(kMethodRequestPrefix)) {
        return parse_method_request(topic.substr(kMethodRequestPrefix.size()));
    }
    // devices/{id}/messages/devicebound/{bag}, compared in place (no string per message).
    std::string_view rest = topic;
    if (rest.starts_with(kDevicesPrefix) &&
        rest.substr(kDevicesPrefix.size()).starts_with(device_id) &&
        rest.substr(kDevicesPrefix.size() + device_id.size()).starts_with(kDevicebound)) {
        rest.remove_prefix(kDevicesPrefix.size() + device_id.size() + kDevicebound.size());
        auto properties = decode_property_bag(rest);
        if (!properties) {
            return UnknownTopic{"malformed C2D property bag"};
        }
        return C2dTopic{std::move(*properties)};
    }
    return UnknownTopic{"unexpected topic"};
}

}  // namespace hubgate::iothub
