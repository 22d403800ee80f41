// Reading DPS's JSON answers defensively: a field of the wrong type is treated as absent.
#include "gateway/provisioning/registration_answer.hpp"

#include <nlohmann/json.hpp>

namespace hubgate::provisioning {

namespace {

using nlohmann::json;

std::string text_of(const json& object, const char* name) {
    const auto found = object.find(name);
    return found != object.end() && found->is_string() ? found->get<std::string>() : std::string();
}

long number_of(const json& object, const char* name) {
    const auto found = object.find(name);
    return found != object.end() && found->is_number_integer() ? found->get<long>() : 0;
}

std::optional<RegistrationStatus> status_from(std::string_view text) {
    if (text == "unassigned")
        return RegistrationStatus::Unassigned;
    if (text == "assigning")
        return RegistrationStatus::Assigning;
    if (text == "assigned")
        return RegistrationStatus::Assigned;
    if (text == "failed")
        return RegistrationStatus::Failed;
    if (text == "disabled")
        return RegistrationStatus::Disabled;
    return std::nullopt;
}

}  // namespace

std::string_view status_name(RegistrationStatus status) {
    switch (status) {
        case RegistrationStatus::Unassigned:
            return "unassigned";
        case RegistrationStatus::Assigning:
            return "assigning";
        case RegistrationStatus::Assigned:
            return "assigned";
        case RegistrationStatus::Failed:
            return "failed";
        case RegistrationStatus::Disabled:
            return "disabled";
    }
    return "unknown";
}

std::optional<RegistrationAnswer> parse_registration_answer(std::string_view body,
                                                            std::string& error) {
    const json document = json::parse(body, nullptr, false);
    if (!document.is_object()) {
        error = "the answer is not a JSON object";
        return std::nullopt;
    }
    RegistrationAnswer answer;
    answer.operation_id = text_of(document, "operationId");
    answer.error_code = number_of(document, "errorCode");
    answer.error_message = text_of(document, "message");
    const auto status_text = text_of(document, "status");
    if (status_text.empty()) {
        // An error answer (429, 5xx) has no status: the caller goes by the MQTT status code.
        return answer;
    }
    const auto status = status_from(status_text);
    if (!status) {
        error = "unknown registration status \"" + status_text + "\"";
        return std::nullopt;
    }
    answer.status = *status;
    if (const auto state = document.find("registrationState");
        state != document.end() && state->is_object()) {
        answer.assigned_hub = text_of(*state, "assignedHub");
        answer.device_id = text_of(*state, "deviceId");
        answer.substatus = text_of(*state, "substatus");
        answer.created = text_of(*state, "createdDateTimeUtc");
        answer.etag = text_of(*state, "etag");
        if (const long code = number_of(*state, "errorCode"); code != 0)
            answer.error_code = code;
        if (auto message = text_of(*state, "errorMessage"); !message.empty())
            answer.error_message = std::move(message);
    }
    if (answer.status == RegistrationStatus::Assigned &&
        (answer.assigned_hub.empty() || answer.device_id.empty())) {
        error = "an assignment without assignedHub or deviceId";
        return std::nullopt;
    }
    return answer;
}

}  // namespace hubgate::provisioning
