#include "gateway/session/iothub_topics.hpp"

#include <charconv>

#include "gateway/auth/sas_token.hpp"

namespace hubgate::session {

namespace {

using auth::url_decode;
using auth::url_encode;
using auth::url_encode_append;

// Appends "name=value&..." to `out`: the telemetry topic is built in one string, since it is
// built for every message.
void append_property_bag(std::string& out, const Properties& properties) {
    bool first = true;
    for (const auto& [name, value] : properties) {
        if (!first) {
            out += '&';
        }
        first = false;
        // System properties are written "$.ct"; SDKs send the "$." prefix as is.
        if (name.starts_with("$.")) {
            out += "$.";
            url_encode_append(out, name.substr(2));
        } else {
            url_encode_append(out, name);
        }
        out += '=';
        url_encode_append(out, value);
    }
}

template <typename Int>
std::optional<Int> parse_int(std::string_view text) {
    Int value{};
    const auto* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (ec != std::errc() || ptr != end || text.empty()) {
        return std::nullopt;
    }
    return value;
}

// Splits "a/b/?query" into the path before "/?" and the query after it.
std::pair<std::string_view, std::string_view> split_query(std::string_view topic) {
    const auto pos = topic.find("/?");
    if (pos == std::string_view::npos) {
        return {topic, {}};
    }
    return {topic.substr(0, pos), topic.substr(pos + 2)};
}

std::optional<std::string> query_value(const Properties& query, std::string_view name) {
    for (const auto& [key, value] : query) {
        if (key == name) {
            return value;
        }
    }
    return std::nullopt;
}

}  // namespace

std::string encode_property_bag(const Properties& properties) {
    std::string bag;
    append_property_bag(bag, properties);
    return bag;
}

std::optional<Properties> decode_property_bag(std::string_view bag) {
    Properties properties;
    while (!bag.empty()) {
        const auto amp = bag.find('&');
        const auto pair = bag.substr(0, amp);
        bag = amp == std::string_view::npos ? std::string_view{} : bag.substr(amp + 1);
        if (pair.empty()) {
            continue;
        }
        const auto eq = pair.find('=');
        auto name = url_decode(pair.substr(0, eq));
        auto value = eq == std::string_view::npos ? std::optional<std::string>("")
                                                  : url_decode(pair.substr(eq + 1));
        if (!name || !value) {
            return std::nullopt;
        }
        properties.emplace_back(std::move(*name), std::move(*value));
    }
    return properties;
}

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

std::string telemetry_topic(std::string_view device_id, const Properties& properties) {
    constexpr std::string_view kPrefix = "devices/";
    constexpr std::string_view kEvents = "/messages/events/";
    std::size_t size = kPrefix.size() + device_id.size() + kEvents.size();
    for (const auto& [name, value] : properties) {
        size += 2 + 3 * (name.size() + value.size());  // '=' and '&', every byte escaped at worst
    }
    std::string topic;
    topic.reserve(size);
    topic.append(kPrefix).append(device_id).append(kEvents);
    append_property_bag(topic, properties);
    return topic;
}

std::string twin_get_topic(std::string_view rid) {
    return "$iothub/twin/GET/?$rid=" + url_encode(rid);
}

std::string twin_patch_reported_topic(std::string_view rid) {
    return "$iothub/twin/PATCH/properties/reported/?$rid=" + url_encode(rid);
}

std::string method_response_topic(int status, std::string_view rid) {
    return "$iothub/methods/res/" + std::to_string(status) + "/?$rid=" + url_encode(rid);
}

std::string c2d_filter(std::string_view device_id) {
    std::string filter = "devices/";
    filter.append(device_id).append("/messages/devicebound/#");
    return filter;
}

DownlinkTopic parse_downlink_topic(std::string_view device_id, std::string_view topic) {
    constexpr std::string_view twin_res = "$iothub/twin/res/";
    constexpr std::string_view desired = "$iothub/twin/PATCH/properties/desired/";
    constexpr std::string_view method = "$iothub/methods/POST/";

    if (topic.starts_with(twin_res)) {
        const auto [path, query_text] = split_query(topic.substr(twin_res.size()));
        const auto status = parse_int<int>(path);
        const auto query = decode_property_bag(query_text);
        if (!status || !query) {
            return UnknownTopic{"malformed twin response topic"};
        }
        auto rid = query_value(*query, "$rid");
        if (!rid) {
            return UnknownTopic{"twin response without $rid"};
        }
        TwinResponseTopic parsed{*status, std::move(*rid), std::nullopt};
        if (auto version = query_value(*query, "$version")) {
            parsed.version = parse_int<int64_t>(*version);
        }
        return parsed;
    }
    if (topic.starts_with(desired)) {
        const auto rest = topic.substr(desired.size());
        const auto query = decode_property_bag(rest.starts_with("?") ? rest.substr(1) : rest);
        if (!query) {
            return UnknownTopic{"malformed desired patch topic"};
        }
        DesiredPatchTopic parsed;
        if (auto version = query_value(*query, "$version")) {
            parsed.version = parse_int<int64_t>(*version);
        }
        return parsed;
    }
    if (topic.starts_with(method)) {
        const auto [name, query_text] = split_query(topic.substr(method.size()));
        const auto query = decode_property_bag(query_text);
        if (name.empty() || !query) {
            return UnknownTopic{"malformed method request topic"};
        }
        auto rid = query_value(*query, "$rid");
        if (!rid) {
            return UnknownTopic{"method request without $rid"};
        }
        return MethodRequestTopic{std::string(name), std::move(*rid)};
    }
    std::string c2d_prefix = "devices/";
    c2d_prefix.append(device_id).append("/messages/devicebound/");
    if (topic.starts_with(c2d_prefix)) {
        auto properties = decode_property_bag(topic.substr(c2d_prefix.size()));
        if (!properties) {
            return UnknownTopic{"malformed C2D property bag"};
        }
        return C2dTopic{std::move(*properties)};
    }
    return UnknownTopic{"unexpected topic"};
}

}  // namespace hubgate::session
