// DeviceSession, twin half: GET and reported PATCH requests with $rid, their timeouts and
// retries (429 / 5xx with back-off, paced by the manager's twin buckets), and the twin
// reconnection flow that hands the desired state down after a (re)connect.
#include <algorithm>
#include <utility>

#include <spdlog/spdlog.h>

#include "gateway/session/device_session.hpp"
#include "hubgate/iothub/device_topics.hpp"

namespace hubgate::session {

using nlohmann::json;

void DeviceSession::ensure_twin_subscription() {
    DeviceNeeds twin;
    twin.twin = true;
    add_needs(twin);
}

void DeviceSession::get_twin(TwinCallback done, SteadyTime now) {
    ensure_twin_subscription();
    TwinOp op;
    op.kind = TwinOpKind::Get;
    op.done = std::move(done);
    op.not_before = now;
    op.deadline = now + options_.twin_timeout;  // while queued: the time to give up waiting
    enqueue_twin(std::move(op), false);
    pump_twin(now);
}

void DeviceSession::patch_reported(const nlohmann::json& patch, TwinCallback done, SteadyTime now) {
    if (!patch.is_object()) {
        done(TwinResult{400, json(), std::nullopt, "a reported patch must be a JSON object"});
        return;
    }
    patch_reported(patch.dump(), std::move(done), now);
}

void DeviceSession::patch_reported(std::string body, TwinCallback done, SteadyTime now) {
    ensure_twin_subscription();
    TwinOp op;
    op.kind = TwinOpKind::PatchReported;
    op.body = std::move(body);
    op.done = std::move(done);
    op.not_before = now;
    op.deadline = now + options_.twin_timeout;
    enqueue_twin(std::move(op), false);
    pump_twin(now);
}

void DeviceSession::enqueue_twin(TwinOp op, bool front) {
    if (front) {
        twin_ops_.push_front(std::move(op));
    } else {
        twin_ops_.push_back(std::move(op));
    }
}

void DeviceSession::pump_twin(SteadyTime now) {
    const bool can_send = state_ == SessionState::Connected && subscribed_;
    for (auto it = twin_ops_.begin(); it != twin_ops_.end();) {
        auto& op = *it;
        if (op.rid) {
            if (now >= op.deadline) {
                op.last_status = 0;
                auto next = std::next(it);
                retry_twin(it, now, "no answer in time");  // may erase `it`
                it = next;
                continue;
            }
            ++it;
            continue;
        }
        if (!can_send) {
            // Offline for longer than a request may wait: answer instead of holding it forever.
            if (!op.reconnect_flow && now >= op.deadline) {
                auto next = std::next(it);
                finish_twin(it, TwinResult{0, json(), std::nullopt, "device not connected"});
                it = next;
                continue;
            }
            ++it;
            continue;
        }
        if (now < op.not_before || !host_.try_twin_slot(op.kind, now)) {
            ++it;
            continue;
        }
        op.rid = std::to_string(++last_rid_);
        op.attempts++;
        op.deadline = now + options_.twin_timeout;
        counters_.twin_requests++;
        const uint64_t tag = next_tag();
        add_publish(tag, PendingPublish{PublishKind::Twin, 0, nullptr, *op.rid});
        const auto topic = op.kind == TwinOpKind::Get ? iothub::twin_get_topic(*op.rid)
                                                      : iothub::twin_patch_reported_topic(*op.rid);
        last_activity_ = now;
        upstream_->publish(topic, op.body, 1, tag);
        ++it;
    }
}

void DeviceSession::finish_twin(std::list<TwinOp>::iterator op, TwinResult result) {
    TwinOp done = std::move(*op);
    twin_ops_.erase(op);
    if (result.status == 0 || result.status >= 300) {
        counters_.twin_failed++;
    }
    if (done.reconnect_flow) {
        handle_reconnect_twin(result);
    } else if (done.done) {
        done.done(result);
    }
}

void DeviceSession::retry_twin(std::list<TwinOp>::iterator op, SteadyTime now,
                               const std::string& why) {
    op->rid.reset();
    if (op->attempts >= static_cast<unsigned>(options_.twin_max_attempts)) {
        spdlog::warn("session {}: twin request failed after {} attempts ({})", device_id_,
                     op->attempts, why);
        finish_twin(
            op, TwinResult{op->last_status, json(), std::nullopt,
                           "gave up after " + std::to_string(op->attempts) + " attempts: " + why});
        return;
    }
    counters_.twin_retries++;
    op->not_before = now + twin_retry_.delay(op->attempts - 1, host_.uniform01());
    spdlog::debug("session {}: twin request {}; retrying", device_id_, why);
}

void DeviceSession::handle_twin_response(const std::string& rid, int status,
                                         std::optional<int64_t> version, const std::string& payload,
                                         SteadyTime now) {
    auto op = std::find_if(twin_ops_.begin(), twin_ops_.end(),
                           [&](const TwinOp& candidate) { return candidate.rid == rid; });
    if (op == twin_ops_.end()) {
        return;  // an answer to a request given up on, or sent again with a new $rid
    }
    op->last_status = status;
    if (status == 429) {
        counters_.twin_throttled++;
        host_.twin_throttled(op->kind, now);
        retry_twin(op, now, "throttled (429)");
        return;
    }
    if (status >= 500) {
        retry_twin(op, now, "hub error " + std::to_string(status));
        return;
    }
    TwinResult result{status, json(), version, std::string()};
    if (!payload.empty()) {
        result.body = json::parse(payload, nullptr, false);
        if (result.body.is_discarded()) {
            result.body = json();
        }
    }
    if (status >= 300) {
        result.error = "hub answered " + std::to_string(status);
    } else if (op->kind == TwinOpKind::PatchReported) {
        last_uplink_ = now;
    }
    finish_twin(op, std::move(result));
    pump_twin(now);
}

void DeviceSession::handle_reconnect_twin(const TwinResult& result) {
    if (result.status != 200 || !result.body.is_object()) {
        spdlog::warn("session {}: twin GET after connect failed ({})", device_id_,
                     result.error.empty() ? std::to_string(result.status) : result.error);
        return;
    }
    // Handed down after every connect, even at a $version seen before: a hub whose twin was
    // created again counts versions afresh, so a patch that arrived before this answer may have
    // been refused as stale by the daemon's kept document. The daemon tells an unchanged
    // document from a changed one (DesiredStateStore).
    const auto desired = result.body.value("desired", json::object());
    const auto version = desired.value("$version", int64_t{0});
    counters_.desired_received++;
    host_.listener().on_desired(DesiredUpdate{device_id_, desired, version, true});
}

}  // namespace hubgate::session
