#include "gateway/daemon/downlink_router.hpp"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "hubgate/mappings/property_bag.hpp"

namespace hubgate::daemon {

namespace {

// The status a direct method gets when its request could not be handed to the device.
int method_status_for(mappings::RejectReason reason) {
    switch (reason) {
        case mappings::RejectReason::no_downlink_template:
            return 501;
        case mappings::RejectReason::unknown_device:
            return 404;
        case mappings::RejectReason::invalid_local_topic:
            return 400;  // the caller's method name cannot be a local topic level
        default:
            return 500;
    }
}

}  // namespace

void DownlinkRouter::on_c2d(const session::C2dMessage& message) {
    // A legacy device cannot read MQTT 5 user properties from an MQTT 3.1.1 broker: its c2d
    // topic template may carry them instead, as {properties}.
    const std::string properties = mappings::encode_property_bag(message.properties);
    mappings::DownlinkVars vars;
    vars.properties = properties;
    deliver(message.device_id, mappings::DownlinkKind::c2d, vars, message.payload,
            message.kept_ticket);
}

void DownlinkRouter::on_desired(const session::DesiredUpdate& update) {
    mappings::DownlinkVars vars;
    vars.version = update.version;
    deliver(update.device_id, mappings::DownlinkKind::desired, vars, update.desired.dump());
}

void DownlinkRouter::on_method(const session::MethodCall& call) {
    mappings::DownlinkVars vars;
    vars.method = call.name;
    vars.rid = call.rid;
    std::string rendered_payload = call.payload;
    mappings::DownlinkResult result;
    const auto rules = deps_.mappings.current();
    deps_.devices.read([&](const mappings::DeviceDirectory& directory) {
        result = rules->set->render_downlink(call.device_id, mappings::DownlinkKind::method, vars,
                                             std::move(rendered_payload), directory);
    });
    if (const auto* rejection = std::get_if<mappings::Rejection>(&result)) {
        count_downlink_rejection(deps_.counters, *rejection, call.device_id,
                                 mappings::DownlinkKind::method);
        answer_method_later(
            call, method_status_for(rejection->reason),
            std::string(mappings::to_string(rejection->reason)) + ": " + rejection->text);
        return;
    }
    const auto& route = std::get<mappings::DownlinkRoute>(result);
    if (auto why = oversized(route)) {
        answer_method_later(call, 413, std::move(*why));
        return;
    }
    // Registered before publishing: a fast device may reply before publish() returns.
    deps_.methods.add({call.device_id, call.name, call.rid,
                       std::chrono::steady_clock::now() + route.reply_timeout});
    if (!publish(call.device_id, route)) {
        mappings::UplinkRoute reply;
        reply.kind = mappings::UplinkKind::method_reply;
        reply.device_id = call.device_id;
        reply.request_id = call.rid;
        deps_.methods.take_for(reply);
        answer_method_later(call, 503, "the local broker did not take the request");
    }
}

void DownlinkRouter::on_state(const std::string& device_id, session::SessionState state) {
    spdlog::debug("session {}: {}", device_id, session::to_string(state));
    if (deps_.sender != nullptr) {
        deps_.sender->session_state(device_id, state);
    }
}

void DownlinkRouter::deliver_twin_answer(const mappings::UplinkRoute& route,
                                         const session::TwinResult& result) {
    // A failed GET still gets an answer, so the device is not left waiting: the status says why.
    std::string payload =
        result.status == 0 ? nlohmann::json{{"error", result.error}}.dump() : result.body.dump();
    if (!route.reply_topic.empty()) {
        mappings::DownlinkRoute direct;
        direct.topic = route.reply_topic;
        direct.payload = std::move(payload);
        publish(route.device_id, direct);
        return;
    }
    mappings::DownlinkVars vars;
    vars.rid = route.request_id;
    vars.status = result.status == 0 ? 504 : result.status;
    deliver(route.device_id, mappings::DownlinkKind::twin_answer, vars, std::move(payload));
}

bool DownlinkRouter::deliver(const std::string& device_id, mappings::DownlinkKind kind,
                             const mappings::DownlinkVars& vars, std::string payload,
                             std::uint64_t kept_ticket) {
    mappings::DownlinkResult result;
    const auto rules = deps_.mappings.current();
    deps_.devices.read([&](const mappings::DeviceDirectory& directory) {
        result = rules->set->render_downlink(device_id, kind, vars, std::move(payload), directory);
    });
    if (const auto* rejection = std::get_if<mappings::Rejection>(&result)) {
        count_downlink_rejection(deps_.counters, *rejection, device_id, kind);
        release_kept(kept_ticket);
        return false;
    }
    return publish(device_id, std::get<mappings::DownlinkRoute>(result), kept_ticket);
}

std::optional<std::string> DownlinkRouter::oversized(const mappings::DownlinkRoute& route) {
    if (route.payload.size() <= kMaxDownlinkBytes) {
        return std::nullopt;
    }
    ++deps_.counters.downlink_failed;
    const std::string detail = std::to_string(route.payload.size()) +
                               " bytes after the downlink plugins (at most " +
                               std::to_string(kMaxDownlinkBytes) + ")";
    count_rejection(deps_.counters, BridgeReject::payload_too_large, route.topic, detail);
    return std::string(to_string(BridgeReject::payload_too_large)) + ": " + detail;
}

bool DownlinkRouter::publish(const std::string& device_id, const mappings::DownlinkRoute& route,
                             std::uint64_t kept_ticket) {
    if (oversized(route)) {
        release_kept(kept_ticket);
        return false;
    }
    std::string error;
    const bool queued =
        kept_ticket != 0
            ? deps_.local.publish_kept(route.topic, route.payload, route.qos, route.retain,
                                       kept_ticket, error)
            : deps_.local.publish(route.topic, route.payload, route.qos, route.retain, error);
    if (!queued) {
        ++deps_.counters.downlink_failed;
        spdlog::warn("downlink for {} to '{}' not published: {}", device_id, route.topic, error);
        release_kept(kept_ticket);
        return false;
    }
    ++deps_.counters.downlink_published;
    return true;
}

void DownlinkRouter::release_kept(std::uint64_t kept_ticket) {
    if (kept_ticket != 0 && deps_.kept_c2d != nullptr) {
        deps_.kept_c2d->release(kept_ticket);
    }
}

void DownlinkRouter::answer_method_later(const session::MethodCall& call, int status,
                                         std::string why) {
    spdlog::warn("method '{}' for {} answered {}: {}", call.name, call.device_id, status, why);
    if (deps_.hub == nullptr) {
        return;
    }
    HubLink* hub = deps_.hub;
    std::string body = nlohmann::json{{"error", std::move(why)}}.dump();
    deps_.deferred.post(
        [hub, device_id = call.device_id, rid = call.rid, status, body = std::move(body)] {
            hub->reply_method(device_id, rid, status, body);
        });
}

}  // namespace hubgate::daemon
