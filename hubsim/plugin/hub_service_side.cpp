// The hub's service side (HubService): called on HTTPS threads; broker work goes through
// BrokerTasks so that only the broker thread publishes or kicks.
#include <algorithm>
#include <random>

#include "hubgate/iothub/encoding.hpp"
#include "hubgate/iothub/hub_topics.hpp"
#include "hubsim/plugin/hub.hpp"

namespace hubsim {

namespace {

constexpr auto kBrokerTaskTimeout = std::chrono::seconds(5);

ServiceResult error(int status, const std::string& code, const std::string& message) {
    return ServiceResult{status, json{{"Message", "ErrorCode:" + code + ";" + message},
                                      {"ExceptionMessage", message}}};
}

ServiceResult device_not_found(const std::string& id) {
    return error(404, "DeviceNotFound", "Device " + id + " not registered");
}

std::string random_key() {
    std::random_device random;
    std::string bytes(32, '\0');
    for (auto& byte : bytes)
        byte = static_cast<char>(random() & 0xFF);
    return hubgate::iothub::base64_encode(bytes);
}

std::string text_or_empty(const json& object, const char* key) {
    if (!object.is_object() || !object.contains(key) || !object[key].is_string())
        return {};
    return object[key].get<std::string>();
}

}  // namespace

json Hub::device_json(const DeviceState& device) const {
    const auto& identity = device.identity;
    const std::string type = identity.authentication_type();
    const bool sas = type == "sas";
    const auto thumbprint = [&](const std::string& hex) {
        return type == "selfSigned" && !hex.empty() ? json(hex) : json(nullptr);
    };
    return json{
        {"deviceId", identity.id},
        {"generationId", device.generation_id},
        {"etag", "\"" + std::to_string(device.twin.version()) + "\""},
        {"connectionState", device.connection ? "Connected" : "Disconnected"},
        {"status", identity.enabled ? "enabled" : "disabled"},
        {"statusReason", nullptr},
        {"cloudToDeviceMessageCount", device.c2d_pending.size() + device.c2d_outstanding.size()},
        {"authentication",
         {{"type", type},
          {"symmetricKey",
           {{"primaryKey", sas ? json(identity.primary_key) : json(nullptr)},
            {"secondaryKey", sas ? json(identity.secondary_key) : json(nullptr)}}},
          {"x509Thumbprint",
           {{"primaryThumbprint", thumbprint(identity.x509_thumbprint)},
            {"secondaryThumbprint", thumbprint(identity.x509_secondary_thumbprint)}}}}},
        {"capabilities", {{"iotEdge", false}}}};
}

json Hub::twin_json(const DeviceState& device) const {
    json properties = device.twin.device_view();
    return json{{"deviceId", device.identity.id},
                {"etag", "\"" + std::to_string(device.twin.version()) + "\""},
                {"version", device.twin.version()},
                {"status", device.identity.enabled ? "enabled" : "disabled"},
                {"connectionState", device.connection ? "Connected" : "Disconnected"},
                {"authenticationType", device.identity.authentication_type()},
                {"tags", device.twin.tags()},
                {"properties", std::move(properties)}};
}

ServiceResult Hub::get_device(const std::string& id) {
    std::lock_guard lock(mutex_);
    auto* device = find(id);
    if (device == nullptr)
        return device_not_found(id);
    return ServiceResult{200, device_json(*device)};
}

ServiceResult Hub::put_device(const std::string& id, const json& identity) {
    if (!identity.is_object())
        return error(400, "ArgumentInvalid", "the body must be a JSON object");
    std::string body_id = text_or_empty(identity, "deviceId");
    if (!body_id.empty() && body_id != id)
        return error(400, "ArgumentInvalid", "deviceId differs from the path");
    const json auth = identity.value("authentication", json::object());
    DeviceIdentity fresh;
    fresh.id = id;
    fresh.enabled = text_or_empty(identity, "status") != "disabled";
    const std::string type = text_or_empty(auth, "type");
    if (!type.empty() && type != "sas" && type != "selfSigned" && type != "certificateAuthority")
        return error(400, "ArgumentInvalid", "authentication.type is not supported");
    fresh.certificate_authority = type == "certificateAuthority";
    if (auth.is_object() && auth.contains("x509Thumbprint") &&
        (type.empty() || type == "selfSigned")) {
        fresh.x509_thumbprint =
            normalize_thumbprint(text_or_empty(auth["x509Thumbprint"], "primaryThumbprint"));
        fresh.x509_secondary_thumbprint =
            normalize_thumbprint(text_or_empty(auth["x509Thumbprint"], "secondaryThumbprint"));
    }
    if (type == "selfSigned" && fresh.x509_thumbprint.empty())
        return error(400, "ArgumentInvalid", "selfSigned needs x509Thumbprint.primaryThumbprint");
    if (auth.is_object() && auth.contains("symmetricKey") && (type.empty() || type == "sas")) {
        fresh.primary_key = text_or_empty(auth["symmetricKey"], "primaryKey");
        fresh.secondary_key = text_or_empty(auth["symmetricKey"], "secondaryKey");
    }
    for (const auto* key : {&fresh.primary_key, &fresh.secondary_key}) {
        if (!key->empty() && !hubgate::iothub::base64_decode(*key)) {
            return error(400, "ArgumentInvalid", "symmetric keys must be base64");
        }
    }
    if (fresh.authentication_type() == "sas") {
        if (fresh.primary_key.empty())
            fresh.primary_key = random_key();
        if (fresh.secondary_key.empty())
            fresh.secondary_key = random_key();
    }
    std::lock_guard lock(mutex_);
    auto* device = find(id);
    if (device == nullptr) {
        DeviceState state;
        state.generation_id = std::to_string(devices_.size() + 1);
        state.identity = fresh;
        device = &devices_.emplace(id, std::move(state)).first->second;
    } else {
        device->identity = fresh;
    }
    return ServiceResult{200, device_json(*device)};
}

ServiceResult Hub::delete_device(const std::string& id) {
    {
        std::lock_guard lock(mutex_);
        auto* device = find(id);
        if (device == nullptr)
            return device_not_found(id);
        if (device->connection != nullptr)
            device->close_reason = "kicked";
        devices_.erase(id);
        token_deadlines_.clear(id);
        c2d_attention_.erase(id);
        c2d_waiting_.erase(id);
    }
    tasks_.run([this, id] { broker_.kick(id); }, kBrokerTaskTimeout);
    return ServiceResult{204, nullptr};
}

ServiceResult Hub::list_devices() {
    std::lock_guard lock(mutex_);
    json list = json::array();
    for (const auto& [id, device] : devices_)
        list.push_back(device_json(device));
    return ServiceResult{200, std::move(list)};
}

ServiceResult Hub::get_twin(const std::string& id) {
    std::lock_guard lock(mutex_);
    auto* device = find(id);
    if (device == nullptr)
        return device_not_found(id);
    if (twin_throttled())
        return error(429, "ThrottlingException", "twin operations are throttled");
    return ServiceResult{200, twin_json(*device)};
}

void Hub::push_desired(const std::string& id, int64_t version, const json& patch) {
    json body = patch;
    body["$version"] = version;
    tasks_.post([this, id, version, payload = body.dump()] {
        std::lock_guard lock(mutex_);
        auto* device = find(id);
        // Desired notifications go only to a connected, subscribed device (no queueing).
        if (device == nullptr || device->connection == nullptr ||
            !device->subscriptions.contains(DeviceSubscription::desired_patches)) {
            return;
        }
        broker_.publish(id, hubgate::iothub::desired_patch_topic(version), payload, 0,
                        std::nullopt);
    });
}

ServiceResult Hub::patch_twin(const std::string& id, const json& patch) {
    if (!patch.is_object())
        return error(400, "ArgumentInvalid", "the body must be a JSON object");
    json desired = patch.contains("properties") && patch["properties"].is_object()
                       ? patch["properties"].value("desired", json())
                       : json();
    if (!desired.is_null()) {
        if (auto problem = twin_patch_error(desired); !problem.empty()) {
            return error(400, "ArgumentInvalid", problem);
        }
    }
    if (patch.contains("tags") && !patch["tags"].is_object()) {
        return error(400, "ArgumentInvalid", "tags must be a JSON object");
    }
    std::lock_guard lock(mutex_);
    auto* device = find(id);
    if (device == nullptr)
        return device_not_found(id);
    if (twin_throttled())
        return error(429, "ThrottlingException", "twin operations are throttled");
    if (patch.contains("tags"))
        device->twin.patch_tags(patch["tags"]);
    if (!desired.is_null()) {
        int64_t version = device->twin.patch_desired(desired);
        push_desired(id, version, desired);
    }
    return ServiceResult{200, twin_json(*device)};
}

ServiceResult Hub::replace_twin(const std::string& id, const json& twin) {
    if (!twin.is_object())
        return error(400, "ArgumentInvalid", "the body must be a JSON object");
    json desired = twin.contains("properties") && twin["properties"].is_object()
                       ? twin["properties"].value("desired", json::object())
                       : json::object();
    if (auto problem = twin_patch_error(desired); !problem.empty()) {
        return error(400, "ArgumentInvalid", problem);
    }
    std::lock_guard lock(mutex_);
    auto* device = find(id);
    if (device == nullptr)
        return device_not_found(id);
    if (twin_throttled())
        return error(429, "ThrottlingException", "twin operations are throttled");
    device->twin.replace_tags(twin.value("tags", json::object()));
    // The device is told the whole new desired section, with removed members as null.
    json notification = desired;
    for (const auto& [name, value] : device->twin.desired().items()) {
        if (!desired.contains(name))
            notification[name] = nullptr;
    }
    int64_t version = device->twin.replace_desired(desired);
    push_desired(id, version, notification);
    return ServiceResult{200, twin_json(*device)};
}

ServiceResult Hub::invoke_method(const std::string& id, const json& request) {
    std::string name = text_or_empty(request, "methodName");
    // '/' is legal in the request topic ($iothub/methods/POST/a/b/?$rid=1), so a name with one is
    // delivered: devices and gateways must cope with it. '#', '+' and NUL cannot be in a topic.
    if (name.empty() || name.find_first_of(std::string_view("#+\0", 3)) != std::string::npos) {
        return error(400, "ArgumentInvalid", "methodName must be a non-empty name without # + NUL");
    }
    json timeout_json = request.value("responseTimeoutInSeconds", json(30));
    if (!timeout_json.is_number() || timeout_json.get<double>() <= 0 ||
        timeout_json.get<double>() > 300) {
        return error(400, "ArgumentInvalid", "responseTimeoutInSeconds must be in (0, 300]");
    }
    auto timeout =
        std::chrono::milliseconds(static_cast<int64_t>(timeout_json.get<double>() * 1000));
    std::string body = request.contains("payload") ? request["payload"].dump() : "null";

    auto call = std::make_shared<MethodCall>();
    call->device_id = id;
    std::string rid;
    {
        std::lock_guard lock(mutex_);
        auto* device = find(id);
        if (device == nullptr)
            return device_not_found(id);
        if (device->connection == nullptr ||
            !device->subscriptions.contains(DeviceSubscription::methods)) {
            return error(404, "DeviceNotOnline", "Timed out waiting for device to connect.");
        }
        rid = std::to_string(++next_request_id_);
        method_calls_[rid] = call;
    }
    auto deadline = std::chrono::steady_clock::now() + timeout;
    tasks_.run(
        [this, id, name, rid, body] {
            broker_.publish(id, hubgate::iothub::method_request_topic(name, rid), body, 0,
                            std::nullopt);
        },
        timeout);
    std::unique_lock lock(mutex_);
    method_answered_.wait_until(lock, deadline, [&] { return call->answered || shut_down_; });
    method_calls_.erase(rid);  // a late answer is dropped
    if (!call->answered) {
        return error(504, "GatewayTimeoutException",
                     "Timed out waiting for the response from device.");
    }
    return ServiceResult{200, json{{"status", call->status}, {"payload", call->payload}}};
}

ServiceResult Hub::send_c2d(const std::string& id, const C2dRequest& request) {
    std::string message_id;
    {
        std::lock_guard lock(mutex_);
        auto* device = find(id);
        if (device == nullptr)
            return device_not_found(id);
        C2dMessage message;
        message.message_id =
            request.message_id.value_or("hubsim-" + std::to_string(++next_message_id_));
        message.payload = request.payload;
        message.properties.application = request.properties;
        message.properties.system["$.mid"] = message.message_id;
        message.properties.system["$.to"] = "/devices/" + id + "/messages/deviceBound";
        if (request.correlation_id)
            message.properties.system["$.cid"] = *request.correlation_id;
        message.expires =
            std::chrono::system_clock::now() + request.ttl.value_or(std::chrono::hours(1));
        device->c2d_expired += device->c2d_pending.expire(std::chrono::system_clock::now());
        if (!device->c2d_pending.push(message)) {
            return error(403, "DeviceMaximumQueueDepthExceeded",
                         "at most 50 messages may wait for a device");
        }
        message_id = message.message_id;
        c2d_attention_.insert(id);
    }
    tasks_.post([] {});  // wakes the broker: its next tick delivers the queue
    return ServiceResult{200, json{{"messageId", message_id}}};
}

ServiceResult Hub::telemetry(uint64_t after, std::chrono::milliseconds wait,
                             const std::optional<std::string>& device) {
    auto page = telemetry_.read_after(after, wait, device);
    json messages = json::array();
    for (const auto& record : page.records)
        messages.push_back(to_json(record));
    return ServiceResult{200, json{{"messages", std::move(messages)}, {"last", page.last}}};
}

ServiceResult Hub::connections() {
    std::lock_guard lock(mutex_);
    json devices = json::array();
    for (const auto& [id, device] : devices_) {
        devices.push_back(json{{"deviceId", id},
                               {"connected", device.connection != nullptr},
                               {"connects", device.connects},
                               {"lastEvent", device.last_event}});
    }
    json log = json::array();
    for (const auto& entry : connection_log_) {
        log.push_back(json{{"time_ms", entry.time_ms},
                           {"deviceId", entry.device_id},
                           {"event", entry.event},
                           {"reason", entry.reason}});
    }
    return ServiceResult{200, json{{"devices", std::move(devices)},
                                   {"log", std::move(log)},
                                   {"violations", violations_}}};
}

ServiceResult Hub::c2d_state(const std::string& id) {
    std::lock_guard lock(mutex_);
    auto* device = find(id);
    if (device == nullptr)
        return device_not_found(id);
    return ServiceResult{
        200, json{{"pending", device->c2d_pending.size() + device->c2d_outstanding.size()},
                  {"queued", device->c2d_pending.size()},
                  {"delivered", device->c2d_outstanding.size()},
                  {"completed", device->c2d_completed},
                  {"redelivered", device->c2d_redelivered},
                  {"expired", device->c2d_expired},
                  {"rejected", 0}}};
}

ServiceResult Hub::kick(const std::string& id) {
    {
        std::lock_guard lock(mutex_);
        auto* device = find(id);
        if (device == nullptr)
            return device_not_found(id);
        if (device->connection == nullptr)
            return ServiceResult{200, json{{"kicked", false}}};
        device->close_reason = "kicked";
    }
    bool ran = tasks_.run([this, id] { broker_.kick(id); }, kBrokerTaskTimeout);
    if (!ran)
        return error(503, "ServiceUnavailable", "the broker did not run the kick");
    return ServiceResult{200, json{{"kicked", true}}};
}

ServiceResult Hub::set_faults(const Faults& faults) {
    std::lock_guard lock(mutex_);
    faults_ = faults;
    twin_throttle_until_ = std::chrono::steady_clock::now() +
                           std::chrono::seconds(std::max(0, faults.twin_throttle_seconds));
    connect_limiter_.set_rate(faults.connect_rate, std::chrono::steady_clock::now());
    return ServiceResult{200, json{{"twinThrottleSeconds", faults.twin_throttle_seconds},
                                   {"refuseConnects", faults.refuse_connects},
                                   {"connectRate", faults.connect_rate},
                                   {"pubackDelayMs", faults.puback_delay_ms}}};
}

Faults Hub::faults() {
    std::lock_guard lock(mutex_);
    Faults current = faults_;
    auto left = std::chrono::duration_cast<std::chrono::seconds>(twin_throttle_until_ -
                                                                 std::chrono::steady_clock::now());
    current.twin_throttle_seconds = static_cast<int>(std::max<int64_t>(0, left.count()));
    return current;
}

std::optional<std::string> Hub::policy_key(const std::string& name, const std::string& right) {
    std::lock_guard lock(mutex_);
    for (const auto& policy : policies_) {
        if (policy.name == name && policy.has_right(right))
            return policy.key;
    }
    return std::nullopt;
}

std::string Hub::hostname() {
    std::lock_guard lock(mutex_);
    return hostname_;
}

}  // namespace hubsim
