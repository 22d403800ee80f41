#include "gateway/core/method_calls.hpp"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

namespace hubgate::core {

namespace {

// The body of the hub's own errors, for the answer the caller gets when a device is too slow.
std::string error_body(int status, std::string_view message) {
    return nlohmann::json{{"errorCode", status}, {"message", message}}.dump();
}

}  // namespace

bool MethodCalls::handed(const session::MethodCall& call, std::chrono::milliseconds timeout) {
    const auto now = thread_.clock.now();
    if (!table_.add({call.device_id, call.name, call.rid, now, now + timeout})) {
        ++counters_.downlink_failed;
        spdlog::warn("method '{}' for {}: request id {} is pending already; duplicate dropped",
                     call.name, call.device_id, call.rid);
        return false;
    }
    arm();
    return true;
}

void MethodCalls::withdraw(const session::MethodCall& call, int status, std::string why) {
    table_.take({call.device_id, call.rid, call.name, false});
    refuse(call, status, std::move(why));
}

void MethodCalls::refuse(const session::MethodCall& call, int status, std::string why) {
    spdlog::warn("method '{}' for {} answered {}: {}", call.name, call.device_id, status, why);
    answer(call.device_id, call.rid, status, nlohmann::json{{"error", std::move(why)}}.dump());
}

void MethodCalls::post_reply(const mappings::UplinkRoute& route, std::string_view topic) {
    // An empty reply is sent as JSON null: the hub's callers expect a JSON payload.
    Reply posted{{route.device_id, route.request_id, route.method, route.reply_to_oldest_pending},
                 route.status,
                 route.payload.empty() ? std::string("null") : route.payload,
                 std::string(topic)};
    thread_.run([this, posted = std::move(posted)] { reply(posted); });
}

void MethodCalls::reply(const Reply& reply) {
    const auto call = table_.take(reply.key);
    if (!call) {
        count_rejection(counters_, BridgeReject::unmatched_reply, reply.topic,
                        "no method request of " + reply.key.device_id +
                            " is waiting for this reply (answered, timed out, session lost, or "
                            "unknown rid)");
        return;
    }
    ++counters_.method_replies;
    counters_.method_roundtrip.observe(
        std::chrono::duration<double>(thread_.clock.now() - call->handed_at).count());
    answer(call->device_id, call->rid, reply.status, reply.payload);
}

void MethodCalls::session_lost(const std::string& device_id) {
    for (const auto& call : table_.drop_device(device_id)) {
        spdlog::info("method '{}' of {} (rid {}): the session ended before the device replied",
                     call.method, device_id, call.rid);
    }
}

void MethodCalls::arm() {
    const auto next = table_.next_deadline();
    if (!next || (armed_for_ && *armed_for_ <= *next)) {
        return;  // nothing to wait for, or the live timer comes first anyway
    }
    armed_for_ = *next;
    const auto generation = ++timer_generation_;
    thread_.run_at(*next, [this, generation] { on_timer(generation); });
}

void MethodCalls::on_timer(std::uint64_t generation) {
    if (generation != timer_generation_) {
        return;  // replaced by an earlier one
    }
    armed_for_.reset();
    for (const auto& call : table_.expire(thread_.clock.now())) {
        ++counters_.methods_timed_out;
        spdlog::warn("method '{}' of {} (rid {}): no reply from the device in time; answering 504",
                     call.method, call.device_id, call.rid);
        answer(call.device_id, call.rid, 504, error_body(504, "the device did not answer in time"));
    }
    arm();
}

void MethodCalls::answer(const std::string& device_id, const std::string& rid, int status,
                         const std::string& payload) {
    if (!hub_.reply_method(device_id, rid, status, payload)) {
        spdlog::info("method answer {} for {} (rid {}) not sent: the session is not connected",
                     status, device_id, rid);
    }
}

}  // namespace hubgate::core
