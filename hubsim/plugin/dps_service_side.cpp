// The DPS service side (DpsService): enrollment groups in the DPS REST shapes (api-version
// 2021-10-01), the emulator's DPS state and faults. Called on HTTPS threads.
#include <ctime>

#include "hubgate/iothub/sas_token.hpp"
#include "hubsim/common/client_certificate.hpp"
#include "hubsim/plugin/dps.hpp"

namespace hubsim {

namespace {

ServiceResult dps_error(int status, int code, const std::string& message, std::string tracking_id,
                        std::string timestamp) {
    return ServiceResult{status, json{{"errorCode", code},
                                      {"trackingId", std::move(tracking_id)},
                                      {"message", message},
                                      {"timestampUtc", std::move(timestamp)}}};
}

std::string text_at(const json& object, const char* key) {
    if (!object.is_object() || !object.contains(key) || !object[key].is_string())
        return {};
    return object[key].get<std::string>();
}

}  // namespace

std::string Dps::read_allocation(const json& body, EnrollmentGroup& enrollment) {
    if (body.contains("allocationPolicy") && !body["allocationPolicy"].is_null()) {
        const auto policy = text_at(body, "allocationPolicy");
        if (policy != "hashed" && policy != "static")
            return "allocationPolicy must be \"hashed\" or \"static\" (others are not emulated).";
        enrollment.allocation_policy = policy;
    }
    if (body.contains("iotHubs") && !body["iotHubs"].is_null()) {
        if (!body["iotHubs"].is_array())
            return "iotHubs must be an array of host names.";
        for (const auto& hub : body["iotHubs"]) {
            if (!hub.is_string())
                return "iotHubs must be an array of host names.";
            enrollment.iot_hubs.push_back(hub.get<std::string>());
        }
    }
    if (const auto static_hub = text_at(body, "iotHubHostName"); !static_hub.empty()) {
        if (enrollment.allocation_policy != "static")
            return "iotHubHostName goes with allocationPolicy \"static\".";
        if (enrollment.iot_hubs.empty())
            enrollment.iot_hubs.push_back(static_hub);
        else if (enrollment.iot_hubs != std::vector<std::string>{static_hub})
            return "iotHubHostName differs from iotHubs.";
    }
    if (enrollment.allocation_policy == "static" && enrollment.iot_hubs.size() > 1)
        return "A static allocation names one hub.";
    for (const auto& hub : enrollment.iot_hubs) {
        if (hub_named(hub) == nullptr)
            return "Unknown IoT hub " + hub + ".";
    }
    return {};
}

Dps::Dps(DpsConfig config, HubService& hub, BrokerActions& broker)
    : settings_(std::move(config)), hub_(hub), hubs_{&hub}, broker_(broker) {
    const auto now = iso_time_now();
    for (auto& enrollment : settings_.enrollment_groups) {
        const auto id = enrollment.id;
        groups_[id] = Group{std::move(enrollment), now, now, new_etag()};
    }
    settings_.enrollment_groups.clear();
    quota_.set_per_minute(settings_.registrations_per_minute, std::chrono::steady_clock::now());
}

void Dps::set_certificate_trust(std::function<void(const std::string& pem)> trust) {
    std::lock_guard lock(mutex_);
    trust_certificate_ = std::move(trust);
}

void Dps::add_hub(HubService& hub) {
    std::lock_guard lock(mutex_);
    hubs_.push_back(&hub);
}

HubService* Dps::hub_named(const std::string& hostname) {
    for (auto* hub : hubs_) {
        if (hub->hostname() == hostname)
            return hub;
    }
    return nullptr;
}

std::string Dps::iso_time_now() {
    const auto now = std::chrono::system_clock::now();
    const auto seconds = std::chrono::system_clock::to_time_t(now);
    const auto millis =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() %
        1000;
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char text[40];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
    char fraction[16];
    std::snprintf(fraction, sizeof fraction, ".%03d0000Z", static_cast<int>(millis));
    return std::string(text) + fraction;
}

void Dps::log_event(const std::string& registration_id, const std::string& event,
                    const std::string& reason) {
    log_.push_back(json{{"time", iso_time_now()},
                        {"registrationId", registration_id},
                        {"event", event},
                        {"reason", reason}});
    while (log_.size() > kLogCapacity)
        log_.pop_front();
}

std::string Dps::random_hex(size_t bytes) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (size_t i = 0; i < bytes; ++i) {
        const auto byte = static_cast<unsigned>(random_() & 0xFF);
        out.push_back(kHex[byte >> 4]);
        out.push_back(kHex[byte & 0x0F]);
    }
    return out;
}

std::string Dps::new_etag() {
    // DPS etags are base64 of a quoted opaque version.
    return hubgate::iothub::base64_encode("\"" + random_hex(16) + "\"");
}

json Dps::error_json(int code, const std::string& message) {
    return json{{"errorCode", code},
                {"trackingId", random_hex(16)},
                {"message", message},
                {"timestampUtc", iso_time_now()}};
}

json Dps::registration_state(const std::string& registration_id, const std::string& status,
                             const RegistrationRecord& record) {
    return json{{"registrationId", registration_id},
                {"createdDateTimeUtc", record.created},
                {"status", status},
                {"lastUpdatedDateTimeUtc", iso_time_now()},
                {"etag", new_etag()}};
}

namespace {

json attestation_json(const EnrollmentGroup& enrollment) {
    if (enrollment.x509()) {
        // DPS shows what it holds of a signing certificate, never the certificate itself.
        std::string pem;
        const auto info = read_signing_certificate(enrollment.signing_certificate, pem);
        json shown = nullptr;
        if (info) {
            shown = {{"certificate", nullptr},
                     {"info",
                      {{"subjectName", info->subject_name},
                       {"issuerName", info->issuer_name},
                       {"sha1Thumbprint", info->sha1_thumbprint},
                       {"sha256Thumbprint", info->sha256_thumbprint}}}};
        }
        return {{"type", "x509"},
                {"x509", {{"signingCertificates", {{"primary", shown}, {"secondary", nullptr}}}}}};
    }
    return {
        {"type", "symmetricKey"},
        {"symmetricKey",
         {{"primaryKey", enrollment.primary_key},
          {"secondaryKey",
           enrollment.secondary_key.empty() ? json(nullptr) : json(enrollment.secondary_key)}}}};
}

}  // namespace

json Dps::group_json(const Group& group) const {
    const auto& enrollment = group.enrollment;
    return json{
        {"enrollmentGroupId", enrollment.id},
        {"attestation", attestation_json(enrollment)},
        {"capabilities", {{"iotEdge", false}}},
        {"provisioningStatus", enrollment.enabled ? "enabled" : "disabled"},
        {"reprovisionPolicy", {{"updateHubAssignment", true}, {"migrateDeviceData", true}}},
        {"allocationPolicy", enrollment.allocation_policy},
        {"iotHubs",
         enrollment.iot_hubs.empty() ? json::array({hub_.hostname()}) : json(enrollment.iot_hubs)},
        {"iotHubHostName", enrollment.allocation_policy == "static" && !enrollment.iot_hubs.empty()
                               ? json(enrollment.iot_hubs.front())
                               : json(nullptr)},
        {"createdDateTimeUtc", group.created},
        {"lastUpdatedDateTimeUtc", group.updated},
        {"etag", group.etag}};
}

ServiceResult Dps::put_enrollment_group(const std::string& id, const json& body) {
    std::lock_guard lock(mutex_);
    const auto bad = [&](const std::string& message) {
        return dps_error(400, 400004, message, random_hex(16), iso_time_now());
    };
    if (!body.is_object())
        return bad("The body must be a JSON enrollment group.");
    if (const auto body_id = text_at(body, "enrollmentGroupId"); !body_id.empty() && body_id != id)
        return bad("enrollmentGroupId differs from the path.");
    const json attestation = body.value("attestation", json::object());
    if (!attestation.is_object())
        return bad("attestation must be an object.");
    const std::string type = text_at(attestation, "type");
    EnrollmentGroup enrollment{id, "", "", true};
    if (type == "x509") {
        // x509.signingCertificates.primary.certificate: PEM, or base64 of PEM or DER.
        const json x509 = attestation.value("x509", json::object());
        const json signing =
            x509.is_object() ? x509.value("signingCertificates", json::object()) : json::object();
        const json primary =
            signing.is_object() ? signing.value("primary", json::object()) : json::object();
        const std::string certificate = text_at(primary, "certificate");
        if (certificate.empty() ||
            !read_signing_certificate(certificate, enrollment.signing_certificate)) {
            return bad(
                "x509.signingCertificates.primary.certificate must be a certificate "
                "(PEM, or base64 of PEM or DER).");
        }
    } else if (type == "symmetricKey") {
        const json keys = attestation.value("symmetricKey", json::object());
        enrollment.primary_key = text_at(keys, "primaryKey");
        enrollment.secondary_key = text_at(keys, "secondaryKey");
        for (auto* key : {&enrollment.primary_key, &enrollment.secondary_key}) {
            if (key->empty()) {
                // DPS generates keys that are not given.
                std::string bytes(64, '\0');
                for (auto& byte : bytes)
                    byte = static_cast<char>(random_() & 0xFF);
                *key = hubgate::iothub::base64_encode(bytes);
            } else if (!hubgate::iothub::base64_decode(*key)) {
                return bad("Symmetric keys must be base64.");
            }
        }
    } else {
        return bad(
            "attestation.type must be \"symmetricKey\" or \"x509\" (TPM is not "
            "emulated).");
    }
    const auto status = text_at(body, "provisioningStatus");
    if (!status.empty() && status != "enabled" && status != "disabled")
        return bad("provisioningStatus must be \"enabled\" or \"disabled\".");
    enrollment.enabled = status != "disabled";
    if (auto problem = read_allocation(body, enrollment); !problem.empty())
        return bad(problem);
    const auto now = iso_time_now();
    auto existing = groups_.find(id);
    const std::string created = existing == groups_.end() ? now : existing->second.created;
    if (enrollment.x509() && trust_certificate_)
        trust_certificate_(enrollment.signing_certificate);
    auto& group = groups_[id];
    group = Group{std::move(enrollment), created, now, new_etag()};
    return ServiceResult{200, group_json(group)};
}

ServiceResult Dps::get_enrollment_group(const std::string& id) {
    std::lock_guard lock(mutex_);
    const auto group = groups_.find(id);
    if (group == groups_.end())
        return dps_error(404, 404204, "Enrollment group " + id + " not found.", random_hex(16),
                         iso_time_now());
    return ServiceResult{200, group_json(group->second)};
}

ServiceResult Dps::delete_enrollment_group(const std::string& id) {
    std::lock_guard lock(mutex_);
    if (groups_.erase(id) == 0)
        return dps_error(404, 404204, "Enrollment group " + id + " not found.", random_hex(16),
                         iso_time_now());
    return ServiceResult{204, nullptr};
}

ServiceResult Dps::dps_state() {
    std::lock_guard lock(mutex_);
    json registrations = json::array();
    for (const auto& [id, record] : registrations_) {
        registrations.push_back(json{{"registrationId", id},
                                     {"groupId", record.group_id},
                                     {"status", record.status},
                                     {"payload", record.payload},
                                     {"createdDateTimeUtc", record.created}});
    }
    return ServiceResult{200, json{{"idScope", settings_.id_scope},
                                   {"serviceHostname", settings_.service_hostname},
                                   {"registrationsPerMinute", quota_.per_minute()},
                                   {"refuseRegistrations", refuse_registrations_},
                                   {"counters",
                                    {{"registrations", counters_.registrations},
                                     {"assigned", counters_.assigned},
                                     {"failed", counters_.failed},
                                     {"disabled", counters_.disabled},
                                     {"throttled", counters_.throttled},
                                     {"refusedConnects", counters_.refused_connects},
                                     {"badRequests", counters_.bad_requests},
                                     {"violations", counters_.violations}}},
                                   {"registrations", std::move(registrations)},
                                   {"log", json(std::vector<json>(log_.begin(), log_.end()))}}};
}

ServiceResult Dps::set_dps_faults(const json& faults) {
    std::lock_guard lock(mutex_);
    const auto bad = [&](const std::string& message) {
        return dps_error(400, 400004, message, random_hex(16), iso_time_now());
    };
    if (!faults.is_object())
        return bad("The body must be a JSON object.");
    for (const auto& [key, value] : faults.items()) {
        if (key == "refuseRegistrations") {
            if (!value.is_boolean())
                return bad("refuseRegistrations must be true or false.");
        } else if (key == "registrationsPerMinute") {
            if (!value.is_number() || value.get<double>() < 0)
                return bad("registrationsPerMinute must be a number >= 0 (0 = unlimited).");
        } else {
            return bad("unknown fault " + key);
        }
    }
    if (faults.contains("refuseRegistrations"))
        refuse_registrations_ = faults["refuseRegistrations"].get<bool>();
    if (faults.contains("registrationsPerMinute"))
        quota_.set_per_minute(faults["registrationsPerMinute"].get<double>(),
                              std::chrono::steady_clock::now());
    return ServiceResult{200, json{{"refuseRegistrations", refuse_registrations_},
                                   {"registrationsPerMinute", quota_.per_minute()}}};
}

std::string Dps::service_hostname() {
    std::lock_guard lock(mutex_);
    return settings_.service_hostname;
}

}  // namespace hubsim
