// The hub's device side: CONNECT decisions, topic and subscription rules, telemetry, twin
// requests, method answers, C2D delivery and session expiry. Runs on the broker thread.
#include <algorithm>
#include <chrono>
#include <thread>

#include "hubgate/iothub/hub_topics.hpp"
#include "hubsim/common/wall_clock.hpp"
#include "hubsim/plugin/hub.hpp"

namespace hubsim {

namespace {

constexpr size_t kConnectionLogCapacity = 10000;

json error_body(int status, const std::string& message) {
    return json{{"errorCode", status}, {"message", message}};
}

}  // namespace

Hub::Hub(HubConfig config, BrokerActions& broker, BrokerTasks& tasks)
    : broker_(broker), tasks_(tasks), hostname_(config.hostname), policies_(config.policies) {
    for (auto& identity : config.devices) {
        DeviceState state;
        state.generation_id = std::to_string(devices_.size() + 1);
        state.identity = identity;
        devices_.emplace(identity.id, std::move(state));
    }
}

void Hub::log_event(const std::string& device_id, const std::string& event,
                    const std::string& reason) {
    connection_log_.push_back(ConnectionEvent{epoch_ms(), device_id, event, reason});
    while (connection_log_.size() > kConnectionLogCapacity)
        connection_log_.pop_front();
    if (auto* device = find(device_id))
        device->last_event = event;
}

Hub::DeviceState* Hub::find(const std::string& id) {
    auto it = devices_.find(id);
    return it == devices_.end() ? nullptr : &it->second;
}

bool Hub::twin_throttled() const {
    return std::chrono::steady_clock::now() < twin_throttle_until_;
}

bool Hub::on_connect(const void* handle, const ConnectAttempt& attempt, bool clean_session) {
    std::lock_guard lock(mutex_);
    if (faults_.refuse_connects) {
        log_event(attempt.client_id, "refused", "refused by fault injection");
        return false;
    }
    if (!connect_limiter_.try_acquire(std::chrono::steady_clock::now())) {
        log_event(attempt.client_id, "refused", "throttled");
        return false;
    }
    DeviceState* device = find(attempt.client_id);
    auto result = authenticate_device(attempt, hostname_, device ? &device->identity : nullptr,
                                      policies_, epoch_seconds());
    if (!result.ok()) {
        log_event(attempt.client_id, "refused", result.refusal);
        return false;
    }
    // mosquitto closes an older connection with this client id itself, right after this
    // returns; remember it so its disconnect is recorded as "replaced".
    if (device->connection != nullptr && device->connection != handle) {
        device->replaced = device->connection;
    }
    device->connection = handle;
    device->close_reason.clear();
    ++device->connects;
    token_deadlines_.set(attempt.client_id, result.token_expiry);
    // A persistent session may still be subscribed with messages waiting; either way the next
    // tick finishes the reconnect sweep.
    c2d_attention_.insert(attempt.client_id);
    if (clean_session) {
        // A clean session loses the broker's queue: whatever was handed over goes out again
        // once the device subscribes (at least once, like the hub's own C2D queue).
        device->subscriptions.clear();
        device->c2d_redelivered += device->c2d_outstanding.size();
        device->c2d_pending.push_front(std::move(device->c2d_outstanding));
        device->c2d_outstanding.clear();
    } else {
        device->c2d_sweeping = true;
        device->c2d_still_unacked.clear();
    }
    log_event(attempt.client_id, "connect", clean_session ? "clean session" : "persistent session");
    return true;
}

Verdict Hub::on_subscribe(const std::string& client_id, const std::string& filter) {
    std::lock_guard lock(mutex_);
    DeviceState* device = find(client_id);
    auto kind = classify_device_subscription(client_id, filter);
    if (device == nullptr || !kind) {
        ++violations_;
        return Verdict::deny;
    }
    // Only four filters are valid, so the hub's limit of five subscriptions per connection
    // can never be exceeded by a valid client.
    device->subscriptions.insert(*kind);
    if (*kind == DeviceSubscription::c2d)
        c2d_attention_.insert(client_id);  // waiting messages go out on the next tick
    return Verdict::allow;
}

void Hub::on_unsubscribe(const std::string& client_id, const std::string& filter) {
    std::lock_guard lock(mutex_);
    DeviceState* device = find(client_id);
    auto kind = classify_device_subscription(client_id, filter);
    if (device != nullptr && kind)
        device->subscriptions.erase(*kind);
}

Verdict Hub::on_publish_check(const std::string& client_id, std::string_view topic,
                              size_t payload_bytes, int qos) {
    std::lock_guard lock(mutex_);
    last_checked_.valid = false;
    DeviceState* device = find(client_id);
    if (device == nullptr)
        return Verdict::disconnect;
    std::string violation;
    DevicePublish publish;
    if (qos > 1) {
        violation = "QoS 2 is not supported";
    } else if (payload_bytes + topic.size() > kMaxMessageBytes) {
        violation = "message larger than 256 KB";
    } else {
        publish = classify_device_publish(client_id, topic);
        if (publish.kind == DevicePublishKind::invalid)
            violation = publish.error;
    }
    if (violation.empty()) {
        last_checked_.valid = true;
        last_checked_.client_id = client_id;
        last_checked_.topic.assign(topic);  // reuses the buffer: no allocation per message
        last_checked_.publish = std::move(publish);
        return Verdict::allow;
    }
    ++violations_;
    device->close_reason = "violation: " + violation;
    return Verdict::disconnect;
}

bool Hub::on_deliver_check(const std::string& client_id, std::string_view topic) {
    std::lock_guard lock(mutex_);
    DeviceState* device = find(client_id);
    if (device == nullptr || !is_device_downlink_topic(client_id, topic))
        return false;
    if (device->c2d_sweeping && topic.starts_with("devices/")) {
        // During a reconnect mosquitto checks every message still in the session: those are
        // the C2D messages the device has not acknowledged yet.
        auto slash = topic.find("/messages/devicebound/");
        auto bag = parse_property_bag(
            topic.substr(slash + std::string_view("/messages/devicebound/").size()));
        if (bag && bag->system.contains("$.mid"))
            device->c2d_still_unacked.insert(bag->system["$.mid"]);
    }
    return true;
}

void Hub::answer_twin(const std::string& client_id, int status, const std::string& rid,
                      std::optional<int64_t> version, const json& body) {
    broker_.publish(client_id, hubgate::iothub::twin_response_topic(status, rid, version),
                    body.is_null() ? std::string{} : body.dump(), 0, std::nullopt);
}

void Hub::handle_twin_request(DeviceState& device, const DevicePublish& request,
                              std::string_view payload) {
    const std::string& id = device.identity.id;
    if (twin_throttled()) {
        answer_twin(id, 429, request.request_id, std::nullopt,
                    error_body(429, "twin operations are throttled (fault injection)"));
        return;
    }
    if (request.kind == DevicePublishKind::twin_get) {
        answer_twin(id, 200, request.request_id, std::nullopt, device.twin.device_view());
        return;
    }
    json patch = json::parse(payload, nullptr, false);
    if (patch.is_discarded()) {
        answer_twin(id, 400, request.request_id, std::nullopt,
                    error_body(400, "malformed JSON in reported properties patch"));
        return;
    }
    if (auto error = twin_patch_error(patch); !error.empty()) {
        answer_twin(id, 400, request.request_id, std::nullopt, error_body(400, error));
        return;
    }
    int64_t version = device.twin.patch_reported(patch);
    answer_twin(id, 204, request.request_id, version, nullptr);
}

DevicePublish Hub::checked_publish(const std::string& client_id, std::string_view topic) {
    if (last_checked_.valid && last_checked_.client_id == client_id &&
        last_checked_.topic == topic) {
        last_checked_.valid = false;
        return std::move(last_checked_.publish);
    }
    return classify_device_publish(client_id, topic);
}

void Hub::on_message(const std::string& client_id, std::string_view topic, std::string_view payload,
                     bool retain) {
    int delay_ms = 0;
    {
        std::lock_guard lock(mutex_);
        DeviceState* device = find(client_id);
        if (device == nullptr)
            return;
        auto publish = checked_publish(client_id, topic);
        switch (publish.kind) {
            case DevicePublishKind::telemetry: {
                if (retain)
                    publish.properties.application["x-opt-retain"] = "true";
                telemetry_.append(TelemetryRecord{0, client_id, std::string(payload),
                                                  std::move(publish.properties),
                                                  std::chrono::system_clock::now()});
                delay_ms = faults_.puback_delay_ms;
                break;
            }
            case DevicePublishKind::twin_get:
            case DevicePublishKind::twin_patch_reported:
                handle_twin_request(*device, publish, payload);
                break;
            case DevicePublishKind::method_response: {
                auto call = method_calls_.find(publish.request_id);
                if (call != method_calls_.end() && call->second->device_id == client_id) {
                    call->second->answered = true;
                    call->second->status = publish.status;
                    json body =
                        payload.empty() ? json(nullptr) : json::parse(payload, nullptr, false);
                    call->second->payload = body.is_discarded() ? json(std::string(payload)) : body;
                    method_calls_.erase(call);
                    method_answered_.notify_all();
                }
                break;
            }
            case DevicePublishKind::invalid:
                break;  // refused in on_publish_check already
        }
    }
    if (delay_ms > 0) {
        // The plugin API cannot hold one PUBACK back; holding the broker thread delays it (and,
        // as a side effect, all other traffic: a slow hub).
        std::this_thread::sleep_for(std::chrono::milliseconds(std::min(delay_ms, 5000)));
    }
}

void Hub::finish_c2d_sweep(DeviceState& device) {
    std::vector<C2dMessage> unacked;
    for (auto& message : device.c2d_outstanding) {
        if (device.c2d_still_unacked.contains(message.message_id)) {
            unacked.push_back(std::move(message));
            ++device.c2d_redelivered;  // mosquitto resends it from the session
        } else {
            ++device.c2d_completed;  // gone from the session: the device PUBACKed it
        }
    }
    device.c2d_outstanding = std::move(unacked);
    device.c2d_still_unacked.clear();
    device.c2d_sweeping = false;
}

void Hub::deliver_c2d(DeviceState& device, std::chrono::system_clock::time_point now) {
    device.c2d_expired += device.c2d_pending.expire(now);
    if (device.connection == nullptr || !device.subscriptions.contains(DeviceSubscription::c2d)) {
        return;
    }
    for (auto& message : device.c2d_pending.take_all()) {
        auto ttl = std::chrono::duration_cast<std::chrono::seconds>(message.expires - now).count();
        broker_.publish(device.identity.id, c2d_topic(device.identity.id, message.properties),
                        message.payload, 1, static_cast<uint32_t>(std::max<int64_t>(1, ttl)));
        device.c2d_outstanding.push_back(std::move(message));
    }
}

void Hub::tend_c2d(const std::string& id, std::chrono::system_clock::time_point now) {
    DeviceState* device = find(id);
    if (device == nullptr) {
        c2d_waiting_.erase(id);
        return;
    }
    if (device->c2d_sweeping)
        finish_c2d_sweep(*device);
    deliver_c2d(*device, now);
    if (device->c2d_pending.size() == 0) {
        c2d_waiting_.erase(id);
    } else {
        c2d_waiting_.insert(id);
    }
}

std::vector<std::string> Hub::expired_sessions() {
    std::vector<std::string> expired;
    for (auto& id : token_deadlines_.take_due(epoch_seconds())) {
        DeviceState* device = find(id);
        // A session the hub is already closing keeps its recorded reason.
        if (device == nullptr || device->connection == nullptr || !device->close_reason.empty())
            continue;
        device->close_reason = "expired";
        expired.push_back(std::move(id));
    }
    return expired;
}

void Hub::on_tick() {
    tasks_.run_pending();
    std::vector<std::string> expired;
    {
        std::lock_guard lock(mutex_);
        auto now = std::chrono::steady_clock::now();
        if (now >= next_timed_checks_) {
            next_timed_checks_ = now + kTimedChecksEvery;
            c2d_attention_.insert(c2d_waiting_.begin(), c2d_waiting_.end());
            expired = expired_sessions();
        }
        if (!c2d_attention_.empty()) {
            // broker_.publish only queues (mosquitto sends plugin publishes later in its loop),
            // so nothing re-enters the hub while the set is walked.
            auto wall_now = std::chrono::system_clock::now();
            for (const auto& id : c2d_attention_)
                tend_c2d(id, wall_now);
            c2d_attention_.clear();
        }
    }
    for (const auto& id : expired)
        broker_.kick(id);
}

void Hub::on_disconnect(const void* handle, const std::string& client_id) {
    std::lock_guard lock(mutex_);
    DeviceState* device = find(client_id);
    if (device == nullptr)
        return;
    if (device->connection == handle) {
        device->connection = nullptr;
        token_deadlines_.clear(client_id);
        std::string reason = device->close_reason;
        device->close_reason.clear();
        if (reason == "kicked" || reason == "expired") {
            log_event(client_id, reason, {});
        } else {
            log_event(client_id, "disconnect", reason);
        }
    } else if (device->replaced == handle) {
        device->replaced = nullptr;
        log_event(client_id, "replaced", "a new connection took over the device id");
    }
}

void Hub::shut_down() {
    std::lock_guard lock(mutex_);
    shut_down_ = true;
    method_answered_.notify_all();
    telemetry_.close();
}

}  // namespace hubsim
