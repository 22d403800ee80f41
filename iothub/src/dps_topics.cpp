// DPS topic building and parsing: exact prefixes, then a query of URL-encoded fields.
#include "hubgate/iothub/dps_topics.hpp"

#include <cctype>
#include <charconv>
#include <map>

#include "hubgate/iothub/encoding.hpp"

namespace hubgate::iothub {

namespace {

constexpr std::string_view kRegister = "$dps/registrations/PUT/iotdps-register/?";
constexpr std::string_view kStatus = "$dps/registrations/GET/iotdps-get-operationstatus/?";
constexpr std::string_view kResponse = "$dps/registrations/res/";
// A retry-after beyond a day is not an answer to honour: it is treated as absent.
constexpr int kMaxRetryAfterSeconds = 86400;

// The first occurrence of each field wins; fields that do not decode are left out.
std::map<std::string, std::string> query_fields(std::string_view query) {
    std::map<std::string, std::string> fields;
    while (!query.empty()) {
        const auto amp = query.find('&');
        const std::string_view field = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        const auto eq = field.find('=');
        if (eq == std::string_view::npos)
            continue;
        const auto decoded = url_decode(field.substr(eq + 1));
        if (decoded)
            fields.emplace(std::string(field.substr(0, eq)), *decoded);
    }
    return fields;
}

std::optional<int> whole_number(std::string_view text, int max) {
    int value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || text.empty() || text[0] == '-' ||
        value > max)
        return std::nullopt;
    return value;
}

DpsRequest invalid(std::string error) {
    DpsRequest request;
    request.error = std::move(error);
    return request;
}

}  // namespace

std::string dps_register_topic(std::string_view request_id) {
    std::string topic(kRegister);
    topic += "$rid=";
    url_encode_append(topic, request_id);
    return topic;
}

std::string dps_operation_status_topic(std::string_view request_id, std::string_view operation_id) {
    std::string topic(kStatus);
    topic += "$rid=";
    url_encode_append(topic, request_id);
    topic += "&operationId=";
    url_encode_append(topic, operation_id);
    return topic;
}

std::optional<DpsResponseTopic> parse_dps_response_topic(std::string_view topic) {
    if (!topic.starts_with(kResponse))
        return std::nullopt;
    topic.remove_prefix(kResponse.size());
    const auto query_start = topic.find("/?");
    if (query_start != 3)
        return std::nullopt;
    const std::string_view status_text = topic.substr(0, 3);
    for (const char c : status_text) {
        if (!std::isdigit(static_cast<unsigned char>(c)))
            return std::nullopt;
    }
    DpsResponseTopic response;
    response.status = *whole_number(status_text, 999);
    auto fields = query_fields(topic.substr(query_start + 2));
    const auto rid = fields.find("$rid");
    if (rid == fields.end() || rid->second.empty())
        return std::nullopt;
    response.request_id = rid->second;
    if (const auto retry = fields.find("retry-after"); retry != fields.end())
        response.retry_after_seconds = whole_number(retry->second, kMaxRetryAfterSeconds);
    return response;
}

DpsRequest classify_dps_publish(std::string_view topic) {
    DpsRequest request;
    std::string_view query;
    if (topic.starts_with(kRegister)) {
        request.kind = DpsRequestKind::register_device;
        query = topic.substr(kRegister.size());
    } else if (topic.starts_with(kStatus)) {
        request.kind = DpsRequestKind::operation_status;
        query = topic.substr(kStatus.size());
    } else {
        return invalid("not a DPS request topic");
    }
    auto fields = query_fields(query);
    request.request_id = fields["$rid"];
    if (request.request_id.empty())
        return invalid("missing $rid");
    if (request.kind == DpsRequestKind::operation_status) {
        request.operation_id = fields["operationId"];
        if (request.operation_id.empty())
            return invalid("missing operationId");
    }
    return request;
}

std::string dps_response_topic(int status, std::string_view request_id,
                               std::optional<int> retry_after_seconds) {
    std::string topic = std::string(kResponse) + std::to_string(status) + "/?$rid=";
    url_encode_append(topic, request_id);
    if (retry_after_seconds)
        topic += "&retry-after=" + std::to_string(*retry_after_seconds);
    return topic;
}

}  // namespace hubgate::iothub
