// The DPS device side: CONNECT, the response subscription, register and poll requests, and the
// registration itself (quota, faults, the group's state, the device in the hub's registry).
// Runs on the broker thread.
#include <chrono>

#include "hubgate/iothub/dps_credentials.hpp"
#include "hubgate/iothub/sas_token.hpp"
#include "hubsim/common/dps_allocation.hpp"
#include "hubsim/common/dps_auth.hpp"
#include "hubsim/common/wall_clock.hpp"
#include "hubsim/plugin/dps.hpp"

namespace hubsim {

using hubgate::iothub::classify_dps_publish;
using hubgate::iothub::dps_response_topic;
using hubgate::iothub::DpsRequestKind;
using hubgate::iothub::kDpsResponseFilter;

namespace {

// Group keys are checked as base64 when the config is read, so this never yields an empty key.
std::string derived_key(const std::string& group_key, const std::string& registration_id) {
    return hubgate::iothub::derive_device_key(group_key, registration_id).value_or("");
}

}  // namespace

bool Dps::is_dps_username(std::string_view username) {
    return parse_dps_username(username).has_value();
}

bool Dps::on_connect(const void* handle, const ConnectAttempt& attempt, bool on_dps_listener) {
    std::lock_guard lock(mutex_);
    const auto username = parse_dps_username(attempt.username);
    const auto refuse = [&](const std::string& id, const std::string& reason) {
        ++counters_.refused_connects;
        log_event(id, "refused", reason);
        return false;
    };
    if (!on_dps_listener)
        return refuse(username->registration_id, "DPS registrations connect to the DPS port");
    if (!username)
        return refuse(attempt.username, "not a DPS username (devices connect to the hub ports)");
    // mosquitto replaced the client id by the username before asking: the registration id in
    // the username stands for it.
    ConnectAttempt registration = attempt;
    registration.client_id = username->registration_id;
    std::vector<EnrollmentGroup> groups;
    groups.reserve(groups_.size());
    for (const auto& [id, group] : groups_)
        groups.push_back(group.enrollment);
    const auto result =
        authenticate_registration(registration, settings_.id_scope, groups, epoch_seconds());
    if (!result.ok())
        return refuse(registration.client_id, result.refusal);
    clients_[handle] = Client{attempt.client_id, registration.client_id, result.group_id};
    return true;
}

bool Dps::owns(const void* handle) {
    std::lock_guard lock(mutex_);
    return clients_.contains(handle);
}

Verdict Dps::on_subscribe(const void* handle, const std::string& filter) {
    std::lock_guard lock(mutex_);
    if (!clients_.contains(handle) || filter != kDpsResponseFilter) {
        ++counters_.violations;
        return Verdict::deny;
    }
    return Verdict::allow;
}

Verdict Dps::on_publish_check(const void* handle, std::string_view topic, size_t payload_bytes,
                              int qos) {
    std::lock_guard lock(mutex_);
    if (clients_.contains(handle) && qos <= 1 && payload_bytes <= kMaxRequestBytes &&
        classify_dps_publish(topic).kind != DpsRequestKind::invalid) {
        return Verdict::allow;
    }
    ++counters_.violations;
    return Verdict::disconnect;
}

void Dps::on_message(const void* handle, std::string_view topic, std::string_view payload) {
    std::lock_guard lock(mutex_);
    const auto client = clients_.find(handle);
    if (client == clients_.end())
        return;
    const auto request = classify_dps_publish(topic);
    if (request.kind == DpsRequestKind::register_device) {
        handle_register(client->second, request, payload);
    } else if (request.kind == DpsRequestKind::operation_status) {
        handle_status(client->second, request);
    }
}

void Dps::on_disconnect(const void* handle) {
    std::lock_guard lock(mutex_);
    clients_.erase(handle);
}

void Dps::answer(const Client& client, int status, const std::string& request_id,
                 std::optional<int> retry_after, const json& body) {
    broker_.publish(client.mqtt_client_id, dps_response_topic(status, request_id, retry_after),
                    body.dump(), 1, std::nullopt);
}

void Dps::handle_register(const Client& client, const DpsRequest& request,
                          std::string_view payload) {
    if (const auto wait = quota_.try_acquire(std::chrono::steady_clock::now())) {
        ++counters_.throttled;
        log_event(client.registration_id, "throttled", "retry-after " + std::to_string(*wait));
        answer(client, 429, request.request_id, *wait,
               error_json(429001, "Operations are being throttled for this tenant."));
        return;
    }
    json custom_data = nullptr;
    if (!payload.empty()) {
        const json body = json::parse(payload, nullptr, false);
        if (body.is_discarded() || !body.is_object()) {
            ++counters_.bad_requests;
            answer(client, 400, request.request_id, std::nullopt,
                   error_json(400004, "The request body must be a JSON object."));
            return;
        }
        if (body.contains("registrationId") &&
            body["registrationId"] != json(client.registration_id)) {
            ++counters_.bad_requests;
            answer(client, 400, request.request_id, std::nullopt,
                   error_json(400004, "registrationId differs from the connection's."));
            return;
        }
        custom_data = body.value("payload", json(nullptr));
    }
    registrations_[client.registration_id].payload = std::move(custom_data);
    ++counters_.registrations;
    const std::string operation_id = "5." + random_hex(8) + "." + random_hex(16);
    operations_[operation_id] =
        Operation{client.registration_id, register_device(client, operation_id)};
    operation_order_.push_back(operation_id);
    while (operation_order_.size() > kMaxOperations) {
        operations_.erase(operation_order_.front());
        operation_order_.pop_front();
    }
    // Like DPS: "assigning" now, the outcome on the poll that follows retry-after.
    answer(client, 202, request.request_id, settings_.poll_after_seconds,
           json{{"operationId", operation_id}, {"status", "assigning"}});
}

void Dps::handle_status(const Client& client, const DpsRequest& request) {
    const auto operation = operations_.find(request.operation_id);
    if (operation == operations_.end() ||
        operation->second.registration_id != client.registration_id) {
        ++counters_.bad_requests;
        answer(client, 404, request.request_id, std::nullopt,
               error_json(404201, "Operation not found."));
        return;
    }
    answer(client, 200, request.request_id, std::nullopt, operation->second.result);
}

json Dps::register_device(const Client& client, const std::string& operation_id) {
    auto& record = registrations_[client.registration_id];
    const bool first = record.created.empty();
    if (first)
        record.created = iso_time_now();
    record.group_id = client.group_id;
    std::string status = "assigned";
    json state;
    const auto group = groups_.find(client.group_id);
    if (refuse_registrations_) {
        status = "failed";
        state = registration_state(client.registration_id, status, record);
        state["errorCode"] = 400209;
        state["errorMessage"] = "registration refused (hubsim fault injection)";
    } else if (group == groups_.end()) {
        status = "failed";
        state = registration_state(client.registration_id, status, record);
        state["errorCode"] = 404202;
        state["errorMessage"] = "the enrollment group was deleted";
    } else if (!group->second.enrollment.enabled) {
        status = "disabled";
        state = registration_state(client.registration_id, status, record);
    } else {
        // The group's allocation picks the hub; the config and the REST API only name hubs this
        // hubsim serves.
        const auto& enrollment = group->second.enrollment;
        auto* hub = hub_named(allocate_hub(enrollment, client.registration_id, hub_.hostname()));
        if (hub == nullptr)
            hub = &hub_;
        // The device keeps its status in the hub (DPS does not re-enable a disabled device).
        const auto existing = hub->get_device(client.registration_id);
        const std::string device_status =
            existing.status == 200 ? existing.body.value("status", "enabled") : "enabled";
        json identity{{"deviceId", client.registration_id}, {"status", device_status}};
        if (enrollment.x509()) {
            // Known to the hub by any certificate the group's CA issues for it (CN = device id).
            identity["authentication"] = {{"type", "certificateAuthority"}};
        } else {
            identity["authentication"] = {
                {"type", "sas"},
                {"symmetricKey",
                 {{"primaryKey", derived_key(enrollment.primary_key, client.registration_id)},
                  {"secondaryKey",
                   enrollment.secondary_key.empty()
                       ? json(nullptr)
                       : json(derived_key(enrollment.secondary_key, client.registration_id))}}}};
        }
        const auto created = hub->put_device(client.registration_id, identity);
        if (created.status >= 300) {
            status = "failed";
            state = registration_state(client.registration_id, status, record);
            state["errorCode"] = 500000;
            state["errorMessage"] = "the hub refused the device: " + created.body.dump();
        } else {
            state = registration_state(client.registration_id, status, record);
            state["assignedHub"] = hub->hostname();
            state["deviceId"] = client.registration_id;
            state["substatus"] =
                first || record.status != "assigned" ? "initialAssignment" : "deviceDataMigrated";
        }
    }
    record.status = status;
    ++(status == "assigned" ? counters_.assigned
       : status == "failed" ? counters_.failed
                            : counters_.disabled);
    log_event(client.registration_id, status, "group " + client.group_id);
    return json{{"operationId", operation_id}, {"status", status}, {"registrationState", state}};
}

}  // namespace hubsim
