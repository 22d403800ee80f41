#include "gateway/core/downlink_router.hpp"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "hubgate/iothub/hub_topics.hpp"
#include "hubgate/iothub/property_bag.hpp"

namespace hubgate::core {

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
    const std::string properties = iothub::encode_property_bag(message.properties);
    mappings::DownlinkVars vars;
    vars.properties = properties;
    // The hub's topic, as it came, for the dead-letter folder.
    const std::string hub_topic =
        "devices/" + message.device_id + "/messages/devicebound/" + properties;
    deliver(message.device_id, mappings::DownlinkKind::c2d, vars, message.payload,
            message.kept_ticket, hub_topic);
}

void DownlinkRouter::on_desired(const session::DesiredUpdate& update) {
    if (deps_.desired_writer != nullptr) {
        deps_.desired_writer->post([this, update] { keep_and_publish_desired(update); });
        return;
    }
    keep_and_publish_desired(update);
}

void DownlinkRouter::keep_and_publish_desired(const session::DesiredUpdate& update) {
    std::optional<bool> state_sent;
    if (deps_.desired != nullptr) {
        // Written to disk before anything is published: a crash after this line is repaired by
        // publish_kept_desired_states() at the next start.
        const DesiredApplied applied = deps_.desired->apply(update);
        if (applied.outcome == DesiredOutcome::stale) {
            ++deps_.counters.desired_stale;
            spdlog::info("desired patch {} for {} ignored: the kept document is at $version {}",
                         update.version, update.device_id, desired_version(applied.state));
            return;
        }
        if (applied.outcome == DesiredOutcome::unchanged) {
            return;  // the document after a reconnect, as kept: nothing new for either topic
        }
        state_sent = publish_desired_state(update.device_id, applied.state);
    }
    // Devices that want deltas get what the hub sent, as before the desired state was kept.
    mappings::DownlinkVars vars;
    vars.version = update.version;
    const auto patch_sent =
        deliver_if_configured(update.device_id, mappings::DownlinkKind::desired_patch, vars,
                              update.desired.dump(), iothub::desired_patch_topic(update.version));
    if (!state_sent && !patch_sent) {
        ++deps_.counters.downlink_failed;
        spdlog::warn("desired properties for {} not delivered: no desired or desired_patch topic",
                     update.device_id);
    }
}

void DownlinkRouter::publish_kept_desired_states() {
    if (deps_.desired == nullptr) {
        return;
    }
    std::size_t published = 0;
    for (const auto& [device_id, state] : deps_.desired->all()) {
        if (publish_desired_state(device_id, state).value_or(false)) {
            ++published;
        }
    }
    if (published > 0) {
        spdlog::info("desired state of {} devices published again from the state directory",
                     published);
    }
}

std::optional<bool> DownlinkRouter::publish_desired_state(const std::string& device_id,
                                                          const nlohmann::json& state) {
    mappings::DownlinkVars vars;
    vars.version = desired_version(state);
    return deliver_if_configured(device_id, mappings::DownlinkKind::desired, vars, state.dump(),
                                 iothub::desired_patch_topic(vars.version.value_or(0)));
}

void DownlinkRouter::on_method(const session::MethodCall& call) {
    mappings::DownlinkVars vars;
    vars.method = call.name;
    vars.rid = call.rid;
    Screening screening = Screening::pass;
    const auto rendered = render(call.device_id, mappings::DownlinkKind::method, vars, call.payload,
                                 iothub::method_request_topic(call.name, call.rid), screening);
    if (!rendered) {
        // Answered at once: the caller learns why instead of waiting for its timeout.
        if (screening == Screening::dead_lettered) {
            deps_.methods.refuse(call, 500,
                                 "dead_lettered: a plugin crashed hubgate on this payload; kept "
                                 "in the gateway's dead-letter folder");
        } else {
            deps_.methods.refuse(call, 503,
                                 "a plugin crashed hubgate on this payload and the gateway "
                                 "cannot keep it in its dead-letter folder");
        }
        return;
    }
    const auto& result = *rendered;
    if (const auto* rejection = std::get_if<mappings::Rejection>(&result)) {
        count_downlink_rejection(deps_.counters, *rejection, call.device_id,
                                 mappings::DownlinkKind::method);
        deps_.methods.refuse(
            call, method_status_for(rejection->reason),
            std::string(mappings::to_string(rejection->reason)) + ": " + rejection->text);
        return;
    }
    const auto& route = std::get<mappings::DownlinkRoute>(result);
    if (auto why = oversized(route)) {
        deps_.methods.refuse(call, 413, std::move(*why));
        return;
    }
    // Pending before it is published: the device's reply is posted to this thread, so it is
    // matched only after this returns, however fast the device is.
    if (!deps_.methods.handed(call, route.reply_timeout)) {
        return;  // a duplicate of a call still pending: the first one's answer answers it
    }
    if (!publish(call.device_id, route)) {
        deps_.methods.withdraw(call, 503, "the local broker did not take the request");
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
                             std::uint64_t kept_ticket, std::string_view hub_topic) {
    Screening screening = Screening::pass;
    const auto result = render(device_id, kind, vars, std::move(payload), hub_topic, screening);
    if (!result) {
        // Dead-lettered: the journal lets it go. Not dead-lettered yet (the folder cannot be
        // written): the journal keeps it for the next start.
        if (screening == Screening::dead_lettered) {
            release_kept(kept_ticket);
        }
        return false;
    }
    return publish_rendered(device_id, kind, *result, kept_ticket);
}

std::optional<bool> DownlinkRouter::deliver_if_configured(const std::string& device_id,
                                                          mappings::DownlinkKind kind,
                                                          const mappings::DownlinkVars& vars,
                                                          std::string payload,
                                                          std::string_view hub_topic) {
    Screening screening = Screening::pass;
    const auto rendered = render(device_id, kind, vars, std::move(payload), hub_topic, screening);
    if (!rendered) {
        return false;  // kept out of the plugins: the kept document is published at a later start
    }
    const auto& result = *rendered;
    if (const auto* rejection = std::get_if<mappings::Rejection>(&result);
        rejection != nullptr && rejection->reason == mappings::RejectReason::no_downlink_template) {
        return std::nullopt;
    }
    return publish_rendered(device_id, kind, result);
}

std::optional<mappings::DownlinkResult> DownlinkRouter::render(
    const std::string& device_id, mappings::DownlinkKind kind, const mappings::DownlinkVars& vars,
    std::string payload, std::string_view hub_topic, Screening& screening) {
    // A copy, as the payload is moved into the rendering (downlinks are rare: IoT Hub sends at
    // most 100 C2D messages a minute per unit); hashed only when a hook is entered or the crash
    // table is not empty.
    const std::string hooked_payload = deps_.guard != nullptr ? payload : std::string();
    const HookedMessage hooked{mappings::to_string(kind), device_id, hub_topic, hooked_payload};
    screening = deps_.guard != nullptr ? deps_.guard->screen(hooked) : Screening::pass;
    if (screening != Screening::pass) {
        return std::nullopt;
    }
    mappings::DownlinkResult result;
    const auto rules = deps_.mappings.current();
    deps_.devices.read([&](const mappings::DeviceDirectory& directory) {
        const HooksScope in_hooks(deps_.guard, hooked);  // plugin hooks run inside
        result = rules->set->render_downlink(device_id, kind, vars, std::move(payload), directory);
    });
    return result;
}

bool DownlinkRouter::publish_rendered(const std::string& device_id, mappings::DownlinkKind kind,
                                      const mappings::DownlinkResult& result,
                                      std::uint64_t kept_ticket) {
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

}  // namespace hubgate::core
