// Assignments as JSON (the shape of the files in `<state dir>/provisioning/`).
#include "gateway/provisioning/assignment.hpp"

namespace hubgate::provisioning {

nlohmann::json to_json(const Assignment& a) {
    return {{"registrationId", a.registration_id},
            {"assignedHub", a.assigned_hub},
            {"deviceId", a.device_id},
            {"substatus", a.substatus},
            {"createdDateTimeUtc", a.created},
            {"etag", a.etag},
            {"acceptedByHub", a.accepted_by_hub},
            {"provisionedAt", a.provisioned_at}};
}

std::optional<Assignment> assignment_from_json(const nlohmann::json& document) {
    if (!document.is_object())
        return std::nullopt;
    Assignment a;
    try {
        a.registration_id = document.at("registrationId").get<std::string>();
        a.assigned_hub = document.at("assignedHub").get<std::string>();
        a.device_id = document.at("deviceId").get<std::string>();
        a.substatus = document.value("substatus", std::string());
        a.created = document.value("createdDateTimeUtc", std::string());
        // Both absent in files of earlier versions (whose devices, as a rule, connected).
        a.etag = document.value("etag", std::string());
        a.accepted_by_hub = document.value("acceptedByHub", true);
        a.provisioned_at = document.value("provisionedAt", int64_t{0});
    } catch (const nlohmann::json::exception&) {
        return std::nullopt;
    }
    if (a.registration_id.empty() || a.assigned_hub.empty() || a.device_id.empty())
        return std::nullopt;
    return a;
}

}  // namespace hubgate::provisioning
