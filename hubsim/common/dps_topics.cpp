// DPS topic parsing: exact prefixes, then a query with $rid (and operationId for polls).
#include "hubsim/common/dps_topics.hpp"

#include <map>

#include "hubgate/iothub/sas_token.hpp"

namespace hubsim {

namespace {

constexpr std::string_view kRegister = "$dps/registrations/PUT/iotdps-register/?";
constexpr std::string_view kStatus = "$dps/registrations/GET/iotdps-get-operationstatus/?";

std::map<std::string, std::string> query_fields(std::string_view query) {
    std::map<std::string, std::string> fields;
    while (!query.empty()) {
        const auto amp = query.find('&');
        const std::string_view field = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        const auto eq = field.find('=');
        if (eq == std::string_view::npos)
            continue;
        const auto decoded = hubgate::iothub::url_decode(field.substr(eq + 1));
        if (decoded)
            fields[std::string(field.substr(0, eq))] = *decoded;
    }
    return fields;
}

DpsRequest invalid(std::string error) {
    DpsRequest request;
    request.error = std::move(error);
    return request;
}

}  // namespace

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

std::string dps_response_topic(int status, const std::string& request_id,
                               std::optional<int> retry_after_seconds) {
    std::string topic = "$dps/registrations/res/" + std::to_string(status) + "/?$rid=";
    hubgate::iothub::url_encode_append(topic, request_id);
    if (retry_after_seconds)
        topic += "&retry-after=" + std::to_string(*retry_after_seconds);
    return topic;
}

}  // namespace hubsim
