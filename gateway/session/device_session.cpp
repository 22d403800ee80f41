// DeviceSession, connection half: connect, renewal, back-off, refusal and take-over handling,
// subscriptions, telemetry acks, C2D, desired patches and direct methods (twin requests are in
// device_session_twin.cpp).
#include "gateway/session/device_session.hpp"

#include <algorithm>
#include <utility>
#include <variant>

#include <spdlog/spdlog.h>

#include "gateway/session/connect_settings.hpp"
#include "gateway/session/token_renewal.hpp"
#include "gateway/trace/latency_trace.hpp"
#include "hubgate/iothub/device_topics.hpp"
#include "hubgate/iothub/hub_topics.hpp"
#include "hubgate/iothub/sas_token.hpp"

namespace hubgate::session {

namespace {

using nlohmann::json;

// A loss this close to the token's expiry is taken as the hub closing an expired session.
constexpr auto kExpiryMargin = std::chrono::seconds(1);

// The hub closes the connection for a bigger message; refuse it here instead.
constexpr size_t kMaxTelemetryBytes = 256 * 1024;

std::string describe_connack(int code) {
    switch (code) {
        case 1:
            return "CONNACK 1: unacceptable protocol version";
        case 2:
            return "CONNACK 2: identifier rejected";
        case 3:
            return "CONNACK 3: server unavailable";
        case 4:
            return "CONNACK 4: bad user name or password";
        case 5:
            return "CONNACK 5: not authorized";
        default:
            return "CONNACK " + std::to_string(code);
    }
}

std::string error_body(int code, std::string_view message) {
    return json{{"errorCode", code}, {"message", message}}.dump();
}

}  // namespace

DeviceSession::DeviceSession(std::string device_id, DeviceNeeds needs,
                             const SessionOptions& options, SessionHost& host, uint64_t serial,
                             std::unique_ptr<transport::UpstreamEvents> relay,
                             std::unique_ptr<transport::UpstreamConnection> upstream)
    : device_id_(std::move(device_id)),
      needs_(needs),
      options_(options),
      host_(host),
      serial_(serial),
      relay_(std::move(relay)),
      upstream_(std::move(upstream)),
      server_uri_(server_uri(options)),
      reconnect_backoff_(RetryPolicy(options.reconnect_backoff)),
      refused_backoff_(RetryPolicy(options.refused_backoff)),
      twin_retry_(options.twin_backoff) {
    if (needs_.desired) {
        needs_.twin = true;
    }
}

DeviceSession::~DeviceSession() {
    // The connection goes first: it may still call into the relay until destroyed.
    upstream_.reset();
    relay_.reset();
}

void DeviceSession::add_needs(const DeviceNeeds& needs) {
    const DeviceNeeds before = needs_;
    needs_.c2d = needs_.c2d || needs.c2d;
    needs_.methods = needs_.methods || needs.methods;
    needs_.desired = needs_.desired || needs.desired;
    needs_.twin = needs_.twin || needs.twin || needs.desired;
    if (state_ != SessionState::Connected) {
        return;  // the next connect subscribes to everything needed
    }
    std::vector<std::string> filters;
    if (needs_.c2d && !before.c2d) {
        filters.push_back(iothub::c2d_filter(device_id_));
    }
    if (needs_.methods && !before.methods) {
        filters.emplace_back(iothub::kMethodRequestFilter);
    }
    if (needs_.twin && !before.twin) {
        filters.emplace_back(iothub::kTwinResponseFilter);
    }
    if (needs_.desired && !before.desired) {
        filters.emplace_back(iothub::kDesiredPatchFilter);
    }
    if (!filters.empty()) {
        // Twin requests wait for this SUBACK: their answers need the new subscription.
        subscribed_ = false;
        subscribe_tag_ = next_tag();
        upstream_->subscribe(filters, 1, subscribe_tag_);
    }
}

void DeviceSession::set_state(SessionState state, SteadyTime now) {
    if (state_ == state) {
        return;
    }
    state_ = state;
    state_since_ = now;
    host_.listener().on_state(device_id_, state);
}

void DeviceSession::start(SteadyTime now) {
    switch (state_) {
        case SessionState::Idle:
        case SessionState::BackingOff:
        case SessionState::Refused:
        case SessionState::Replaced:
        case SessionState::Closed:
            last_activity_ = now;
            replaced_check_at_.reset();
            set_state(SessionState::WaitingToConnect, now);
            host_.request_connect_slot(*this);
            break;
        default:
            break;
    }
}

void DeviceSession::reconnect(SteadyTime now) {
    if (state_ != SessionState::Connected) {
        start(now);
        return;
    }
    // As a token renewal does (and counted as one): the next CONNECT signs afresh.
    spdlog::info("session {}: reconnecting with new credentials", device_id_);
    renew_at_.reset();
    renewing_ = true;
    disconnect_pending_ = true;
    set_state(SessionState::Connecting, now);
    upstream_->disconnect();
}

void DeviceSession::begin_connect(SteadyTime now) {
    if (state_ != SessionState::WaitingToConnect) {
        return;
    }
    auto made = make_device_connect(options_, device_id_, host_.wall_now());
    if (auto* reason = std::get_if<std::string>(&made)) {
        refuse(now, *reason);
        return;
    }
    const auto& connect = std::get<DeviceConnect>(made);
    if (connect.server_uri != server_uri_) {
        // The device's hub changed (DPS assigned it elsewhere): the old connection has ended
        // (sessions connect from WaitingToConnect only); the next one goes to the new hub.
        if (auto moved = host_.connection_to(connect.server_uri, device_id_, *relay_)) {
            spdlog::info("session {}: its hub is at {} now", device_id_, connect.server_uri);
            upstream_ = std::move(moved);
            server_uri_ = connect.server_uri;
        }
    }
    hub_ = connect.hub_hostname;
    token_expiry_ = connect.token_expiry;
    if (token_expiry_) {
        token_issued_ = now;
        token_life_ = std::chrono::duration_cast<Millis>(*token_expiry_ - host_.wall_now());
    }
    counters_.connect_attempts++;
    set_state(SessionState::Connecting, now);
    spdlog::debug("session {}: connecting as {} with {}", device_id_, connect.request.username,
                  connect.request.password.empty()
                      ? std::string("a client certificate")
                      : iothub::redact_sas_token(connect.request.password));
    upstream_->connect(connect.request);
}

void DeviceSession::handle_connect_result(const transport::ConnectResult& result, SteadyTime now) {
    if (state_ != SessionState::Connecting) {
        return;  // a late answer to an attempt that was given up (closed meanwhile)
    }
    if (!result.ok) {
        counters_.connect_failures++;
        renewing_ = false;
        if (result.connack_code == 4 || result.connack_code == 5) {
            if (options_.auth.on_refused) {
                options_.auth.on_refused(device_id_);
            }
            refuse(now, describe_connack(result.connack_code));
            return;
        }
        if (result.connack_code == 3) {
            counters_.connects_throttled++;
            host_.connects_throttled(now);
        }
        retry_later(now, result.connack_code > 0 ? describe_connack(result.connack_code)
                                                 : "connect failed: " + result.message);
        return;
    }
    counters_.connects++;
    if (options_.auth.on_accepted) {
        options_.auth.on_accepted(device_id_);
    }
    if (renewing_) {
        counters_.renewals++;
        renewing_ = false;
    }
    reconnect_backoff_.reset();
    refused_backoff_.reset();
    logged_refusal_.clear();
    reason_.clear();
    connected_at_ = now;
    connected_wall_ = host_.wall_now();
    last_activity_ = now;
    if (token_expiry_) {
        // Counted from signing, not from the CONNACK: a slow connect used up part of the life.
        const auto delay = renewal_delay(token_life_, options_.renewal, host_.uniform01());
        renew_at_ = std::max(now + Millis(100), token_issued_ + delay);
    }
    spdlog::info("session {}: connected", device_id_);
    set_state(SessionState::Connected, now);
    subscribe_needed();
    if (subscribe_tag_ == 0) {
        on_subscribed(now);
    }
}

void DeviceSession::retry_later(SteadyTime now, std::string reason) {
    const auto wait = reconnect_backoff_.next(host_.uniform01());
    retry_at_ = now + wait;
    if (reconnect_backoff_.failures() == 1) {
        spdlog::info("session {}: {}; retrying in {} ms", device_id_, reason, wait.count());
    } else {
        spdlog::debug("session {}: {}; retrying in {} ms", device_id_, reason, wait.count());
    }
    reason_ = std::move(reason);
    set_state(SessionState::BackingOff, now);
}

void DeviceSession::refuse(SteadyTime now, std::string reason) {
    counters_.refusals++;
    const auto wait = refused_backoff_.next(host_.uniform01());
    retry_at_ = now + wait;
    if (reason != logged_refusal_) {
        // Logged once per distinct reason: a refused device retries for as long as it is
        // configured.
        spdlog::warn("session {}: refused ({}); next attempt in {} s", device_id_, reason,
                     std::chrono::duration_cast<std::chrono::seconds>(wait).count());
        logged_refusal_ = reason;
    }
    reason_ = std::move(reason);
    set_state(SessionState::Refused, now);
}

void DeviceSession::become_replaced(SteadyTime now) {
    reason_ = "another connection took the device id";
    retry_at_ = now + options_.replaced_retry;
    spdlog::warn("session {}: {}; letting go, trying again in {} s", device_id_, reason_,
                 std::chrono::duration_cast<std::chrono::seconds>(options_.replaced_retry).count());
    set_state(SessionState::Replaced, now);
}

void DeviceSession::on_link_down(SteadyTime /*now*/, PublishStatus publish_status) {
    subscribed_ = false;
    subscribe_tag_ = 0;
    connected_at_.reset();
    connected_wall_.reset();
    renew_at_.reset();
    auto pending = std::exchange(publishes_, {});
    for (auto& [tag, publish] : pending) {
        if (publish.kind == PublishKind::Telemetry) {
            counters_.telemetry_failed++;
            if (publish.done) {
                publish.done(publish.handle, publish_status);
            }
        }
    }
    // Requests in flight are sent again (with a new $rid) once the session is back; the
    // reconnection GET is queued afresh after every connect.
    for (auto it = twin_ops_.begin(); it != twin_ops_.end();) {
        if (it->reconnect_flow) {
            it = twin_ops_.erase(it);
            continue;
        }
        it->rid.reset();
        ++it;
    }
}

void DeviceSession::handle_connection_lost(const std::string& cause, transport::LossOrigin origin,
                                           SteadyTime now) {
    if (state_ != SessionState::Connected) {
        return;
    }
    counters_.connection_losses++;
    on_link_down(now, PublishStatus::ConnectionLost);
    // The hub closes a session whose token ran out (a renewal that came too late): that is no
    // sign of another owner.
    if (token_expiry_ && host_.wall_now() + kExpiryMargin >= *token_expiry_) {
        retry_later(now, "connection closed at token expiry");
        return;
    }
    if (origin == transport::LossOrigin::Hub) {
        host_.note_hub_close(now);
        std::erase_if(hub_closes_,
                      [&](SteadyTime at) { return now - at >= options_.replaced_window; });
        hub_closes_.push_back(now);
    }
    retry_later(now, "connection lost" + (cause.empty() ? std::string() : ": " + cause));
    if (origin == transport::LossOrigin::Hub && hub_closes_.size() >= options_.replaced_losses) {
        // Whether this close hit the whole fleet is known only once the other sessions' closes
        // of the same moment have arrived: decide then, before trying again.
        replaced_check_at_ = now + options_.shared_close_radius;
        retry_at_ = std::max(retry_at_, *replaced_check_at_ + Millis(1));
    }
}

bool DeviceSession::replaced_by_another(SteadyTime now) {
    std::erase_if(hub_closes_, [this](SteadyTime at) { return host_.hub_close_shared(at); });
    if (hub_closes_.size() < options_.replaced_losses) {
        return false;
    }
    hub_closes_.clear();
    become_replaced(now);
    return true;
}

void DeviceSession::handle_disconnected(SteadyTime now) {
    disconnect_pending_ = false;
    if (state_ == SessionState::Closed || !renewing_) {
        return;
    }
    on_link_down(now, PublishStatus::ConnectionLost);
    set_state(SessionState::WaitingToConnect, now);
    host_.request_connect_slot(*this);
}

void DeviceSession::close(SteadyTime now) {
    if (state_ == SessionState::Closed) {
        return;
    }
    const bool linked = state_ == SessionState::Connected || state_ == SessionState::Connecting;
    on_link_down(now, PublishStatus::Closed);
    auto ops = std::exchange(twin_ops_, {});
    for (auto& op : ops) {
        if (op.done) {
            op.done(TwinResult{0, json(), std::nullopt, "session closed"});
        }
    }
    renewing_ = false;
    set_state(SessionState::Closed, now);
    if (linked) {
        disconnect_pending_ = true;
        upstream_->disconnect();
    }
}

void DeviceSession::subscribe_needed() {
    std::vector<std::string> filters;
    if (needs_.c2d) {
        filters.push_back(iothub::c2d_filter(device_id_));
    }
    if (needs_.methods) {
        filters.emplace_back(iothub::kMethodRequestFilter);
    }
    if (needs_.twin || needs_.desired) {
        filters.emplace_back(iothub::kTwinResponseFilter);
    }
    if (needs_.desired) {
        filters.emplace_back(iothub::kDesiredPatchFilter);
    }
    subscribe_tag_ = 0;
    if (filters.empty()) {
        return;
    }
    subscribe_tag_ = next_tag();
    upstream_->subscribe(filters, 1, subscribe_tag_);
}

void DeviceSession::handle_subscribe_result(uint64_t tag, bool ok, SteadyTime now) {
    if (state_ != SessionState::Connected || tag != subscribe_tag_) {
        return;
    }
    if (!ok) {
        // Carry on: the subscriptions of an earlier connection may still hold (CleanSession 0).
        spdlog::warn("session {}: the hub refused a subscription", device_id_);
        reason_ = "subscription refused";
    }
    on_subscribed(now);
}

void DeviceSession::on_subscribed(SteadyTime now) {
    subscribed_ = true;
    const bool get_queued = std::any_of(twin_ops_.begin(), twin_ops_.end(),
                                        [](const TwinOp& op) { return op.reconnect_flow; });
    if (needs_.desired && !get_queued) {
        TwinOp op;
        op.kind = TwinOpKind::Get;
        op.reconnect_flow = true;
        op.not_before = now;
        enqueue_twin(std::move(op), true);
    }
    pump_twin(now);
}

void DeviceSession::handle_message(const std::string& topic, const std::string& payload,
                                   SteadyTime now, std::uint64_t c2d_ticket) {
    last_activity_ = now;
    const auto parsed = iothub::parse_downlink_topic(device_id_, topic);
    if (const auto* twin = std::get_if<iothub::TwinResponseTopic>(&parsed)) {
        handle_twin_response(twin->rid, twin->status, twin->version, payload, now);
    } else if (const auto* patch = std::get_if<iothub::DesiredPatchTopic>(&parsed)) {
        last_downlink_ = now;
        if (!needs_.desired) {
            counters_.downlink_dropped++;
            return;
        }
        auto body = json::parse(payload, nullptr, false);
        if (body.is_discarded() || !body.is_object()) {
            counters_.downlink_dropped++;
            spdlog::warn("session {}: desired patch is not a JSON object; dropped", device_id_);
            return;
        }
        const auto version = patch->version ? *patch->version : body.value("$version", int64_t{0});
        counters_.desired_received++;
        host_.listener().on_desired(DesiredUpdate{device_id_, std::move(body), version, false});
    } else if (const auto* method = std::get_if<iothub::MethodRequestTopic>(&parsed)) {
        last_downlink_ = now;
        handle_method_request(method->name, method->rid, payload, now);
    } else if (const auto* c2d = std::get_if<iothub::C2dTopic>(&parsed)) {
        last_downlink_ = now;
        if (!needs_.c2d) {
            counters_.downlink_dropped++;
            spdlog::debug("session {}: C2D message but no C2D mapping; dropped", device_id_);
            if (c2d_ticket != 0 && host_.c2d_keeper() != nullptr) {
                host_.c2d_keeper()->release(c2d_ticket);
            }
            return;
        }
        counters_.c2d_received++;
        host_.listener().on_c2d(C2dMessage{device_id_, payload, c2d->properties, c2d_ticket});
    } else {
        counters_.downlink_dropped++;
        spdlog::warn("session {}: {} on '{}'; dropped", device_id_,
                     std::get<iothub::UnknownTopic>(parsed).reason, topic);
    }
}

void DeviceSession::handle_method_request(const std::string& name, const std::string& rid,
                                          const std::string& payload, SteadyTime now) {
    counters_.methods_received++;
    if (!needs_.methods) {
        // Possible with CleanSession 0: a subscription from an earlier configuration survives.
        counters_.methods_unmapped++;
        answer_method(rid, 501, error_body(501, "no method mapping for this device"));
        return;
    }
    last_activity_ = now;
    host_.listener().on_method(MethodCall{device_id_, name, rid, payload});
}

void DeviceSession::answer_method(const std::string& rid, int status, const std::string& payload) {
    const uint64_t tag = next_tag();
    add_publish(tag, PendingPublish{PublishKind::MethodResponse, 0, nullptr, std::string()});
    upstream_->publish(iothub::method_response_topic(status, rid), payload, 1, tag);
}

bool DeviceSession::reply_method(const std::string& rid, int status, const std::string& payload,
                                 SteadyTime now) {
    if (state_ != SessionState::Connected) {
        return false;
    }
    counters_.methods_answered++;
    last_activity_ = now;
    answer_method(rid, status, payload);
    return true;
}

void DeviceSession::publish_telemetry(uint64_t handle, Properties properties,
                                      std::string_view message_id, std::string payload,
                                      PublishCallback done, SteadyTime now) {
    if (payload.size() > kMaxTelemetryBytes) {
        counters_.telemetry_failed++;
        done(handle, PublishStatus::Rejected);
        return;
    }
    if (state_ != SessionState::Connected) {
        done(handle,
             state_ == SessionState::Closed ? PublishStatus::Closed : PublishStatus::NotConnected);
        return;
    }
    const uint64_t tag = next_tag();
    add_publish(tag,
                PendingPublish{PublishKind::Telemetry, handle, std::move(done), std::string()});
    counters_.telemetry_sent++;
    last_activity_ = now;
    HUBGATE_TRACE(trace::Point::publish_call, handle, tag, relay_.get());
    upstream_->publish(iothub::telemetry_topic(device_id_, properties, message_id),
                       std::move(payload), std::clamp(options_.telemetry_qos, 0, 1), tag);
}

void DeviceSession::handle_publish_result(uint64_t tag, bool ok, const std::string& error,
                                          SteadyTime now) {
    const auto it =
        std::lower_bound(publishes_.begin(), publishes_.end(), tag,
                         [](const auto& entry, uint64_t wanted) { return entry.first < wanted; });
    if (it == publishes_.end() || it->first != tag) {
        return;  // failed already when the link went down
    }
    PendingPublish publish = std::move(it->second);
    publishes_.erase(it);
    switch (publish.kind) {
        case PublishKind::Telemetry:
            if (ok) {
                counters_.telemetry_acked++;
                last_uplink_ = now;
            } else {
                counters_.telemetry_failed++;
                spdlog::debug("session {}: telemetry not acknowledged: {}", device_id_, error);
            }
            if (publish.done) {
                publish.done(publish.handle,
                             ok ? PublishStatus::Acked : PublishStatus::ConnectionLost);
            }
            break;
        case PublishKind::Twin:
            if (!ok) {
                auto op = std::find_if(twin_ops_.begin(), twin_ops_.end(),
                                       [&](const TwinOp& o) { return o.rid == publish.twin_rid; });
                if (op != twin_ops_.end()) {
                    retry_twin(op, now, "request not sent: " + error);
                }
            }
            break;
        case PublishKind::MethodResponse:
            if (!ok) {
                spdlog::debug("session {}: method response not sent: {}", device_id_, error);
            }
            break;
    }
}

void DeviceSession::tick(SteadyTime now) {
    switch (state_) {
        case SessionState::BackingOff:
            if (replaced_check_at_ && now >= *replaced_check_at_) {
                replaced_check_at_.reset();
                if (replaced_by_another(now)) {
                    break;
                }
            }
            if (now >= retry_at_) {
                start(now);
            }
            break;
        case SessionState::Refused:
        case SessionState::Replaced:
            if (now >= retry_at_) {
                start(now);
            }
            break;
        case SessionState::Connected:
            if (renew_at_ && now >= *renew_at_) {
                spdlog::debug("session {}: renewing its token", device_id_);
                renew_at_.reset();
                renewing_ = true;
                disconnect_pending_ = true;
                set_state(SessionState::Connecting, now);
                upstream_->disconnect();
                break;
            }
            break;
        default:
            break;
    }
    pump_twin(now);
}

SessionSnapshot DeviceSession::snapshot(SteadyTime now, WallTime wall_now) const {
    SessionSnapshot snap;
    snap.device_id = device_id_;
    snap.state = state_;
    snap.reason = reason_;
    if (state_ == SessionState::BackingOff || state_ == SessionState::Refused ||
        state_ == SessionState::Replaced) {
        snap.retry_at = wall_now + std::chrono::duration_cast<WallTime::duration>(retry_at_ - now);
    }
    snap.token_expiry = token_expiry_;
    snap.connected_since = connected_wall_;
    snap.hub = hub_;
    const auto to_wall = [&](SteadyTime at) {
        return wall_now - std::chrono::duration_cast<WallTime::duration>(now - at);
    };
    if (state_since_) {
        snap.state_since = to_wall(*state_since_);
    }
    if (last_uplink_) {
        snap.last_uplink = to_wall(*last_uplink_);
    }
    if (last_downlink_) {
        snap.last_downlink = to_wall(*last_downlink_);
    }
    snap.counters = counters_;
    return snap;
}

}  // namespace hubgate::session
