#include "gateway/daemon/uplink_pipeline.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include <nlohmann/json.hpp>

namespace hubgate::daemon {

UplinkOutcome UplinkPipeline::handle(std::string_view topic, std::string_view payload,
                                     uint32_t packet_id) {
    ++deps_.counters.uplink_received;
    auto result = deps_.mappings.route_uplink(topic, payload);
    if (std::holds_alternative<mappings::NoMatch>(result)) {
        count_rejection(deps_.counters, BridgeReject::no_rule, topic, "no mapping rule matches");
        return UplinkOutcome::refused;
    }
    if (const auto* rejection = std::get_if<mappings::Rejection>(&result)) {
        count_rejection(deps_.counters, *rejection, topic);
        return UplinkOutcome::refused;
    }
    auto& route = std::get<mappings::UplinkRoute>(result);
    if (route.kind == mappings::UplinkKind::ignore) {
        ++deps_.counters.ignored;
        return UplinkOutcome::accepted;
    }
    if (route.payload.size() + route.property_bag.size() > kMaxTelemetryBytes) {
        count_rejection(deps_.counters, BridgeReject::payload_too_large, topic,
                        std::to_string(route.payload.size()) + " bytes (the hub takes at most " +
                            std::to_string(kMaxTelemetryBytes) + ")");
        return UplinkOutcome::refused;
    }
    // Remembered before anything is sent, so the device's downlinks can be rendered from now on
    // (and after a restart).
    deps_.devices.remember(route);
    ensure_session(route);
    switch (route.kind) {
        case mappings::UplinkKind::telemetry:
            // The digest covers the local message as received, before any plugin rewrote it.
            return telemetry(topic, route, {packet_id, spool::source_digest(topic, payload)});
        case mappings::UplinkKind::reported:
            return reported(route);
        case mappings::UplinkKind::twin_get:
            return twin_get(route);
        case mappings::UplinkKind::method_reply:
            return method_reply(topic, route);
        case mappings::UplinkKind::ignore:
            break;
    }
    return UplinkOutcome::accepted;
}

UplinkOutcome UplinkPipeline::telemetry(std::string_view topic, mappings::UplinkRoute& route,
                                        spool::SourceRef source) {
    spool::SpoolMessage message;
    message.device_id = route.device_id;
    message.kind = std::string(mappings::to_string(route.kind));
    message.topic = std::string(topic);
    message.properties = std::move(route.properties);
    message.payload = std::move(route.payload);
    message.source = source;
    const auto appended = deps_.spool.append(message);
    switch (appended.status) {
        case spool::AppendStatus::ok:
            ++deps_.counters.telemetry_spooled;
            deps_.sender.notify(route.device_id);
            return UplinkOutcome::accepted;
        case spool::AppendStatus::too_large:
            count_rejection(deps_.counters, BridgeReject::spool_error, topic,
                            "larger than the spool's record limit");
            return UplinkOutcome::refused;
        case spool::AppendStatus::full:
        case spool::AppendStatus::io_error:
            break;
    }
    spdlog::warn("spool: cannot store a message of {} now ({}); the local broker keeps it",
                 route.device_id, spool::to_string(appended.status));
    return UplinkOutcome::retry;
}

UplinkOutcome UplinkPipeline::reported(mappings::UplinkRoute& route) {
    // The mapping engine has checked it is a JSON object.
    auto patch = nlohmann::json::parse(route.payload, nullptr, false);
    if (patch.is_discarded()) {
        count_rejection(deps_.counters,
                        {mappings::RejectReason::payload_not_json_object, "not JSON", route.rule},
                        route.device_id);
        return UplinkOutcome::refused;
    }
    auto& counters = deps_.counters;
    deps_.hub.patch_reported(route.device_id, patch,
                             [&counters, device_id = route.device_id](const auto& result) {
                                 if (result.status >= 200 && result.status < 300) {
                                     ++counters.reported_sent;
                                     return;
                                 }
                                 ++counters.reported_failed;
                                 spdlog::warn("reported properties of {} not updated: status {} {}",
                                              device_id, result.status, result.error);
                             });
    return UplinkOutcome::accepted;
}

UplinkOutcome UplinkPipeline::twin_get(const mappings::UplinkRoute& route) {
    ++deps_.counters.twin_requests;
    DownlinkRouter& downlink = deps_.downlink;
    deps_.hub.get_twin(route.device_id, [&downlink, route](const session::TwinResult& result) {
        downlink.deliver_twin_answer(route, result);
    });
    return UplinkOutcome::accepted;
}

UplinkOutcome UplinkPipeline::method_reply(std::string_view topic,
                                           const mappings::UplinkRoute& route) {
    const auto request = deps_.methods.take_for(route);
    if (!request) {
        count_rejection(deps_.counters, BridgeReject::unmatched_reply, topic,
                        "no method request of " + route.device_id +
                            " is waiting for this reply (answered, timed out, or unknown rid)");
        return UplinkOutcome::refused;
    }
    ++deps_.counters.method_replies;
    // An empty reply is sent as JSON null: the hub's callers expect a JSON payload.
    deps_.hub.reply_method(route.device_id, request->rid, route.status,
                           route.payload.empty() ? "null" : route.payload);
    return UplinkOutcome::accepted;
}

void UplinkPipeline::ensure_session(const mappings::UplinkRoute& route) {
    const bool wants_twin = route.kind == mappings::UplinkKind::reported ||
                            route.kind == mappings::UplinkKind::twin_get;
    const bool known = sessions_opened_.contains(route.device_id);
    if (known && (!wants_twin || twin_opened_.contains(route.device_id))) {
        return;
    }
    auto needs = needs_.needs_of(route.device_id, route.device_class);
    if (wants_twin) {
        needs.twin = true;
        twin_opened_.insert(route.device_id);
    }
    sessions_opened_.insert(route.device_id);
    deps_.hub.ensure_session(route.device_id, needs);
}

void UplinkPipeline::open_startup_sessions(const std::vector<std::string>& configured,
                                           bool seen_devices) {
    std::vector<std::string> candidates = configured;
    if (seen_devices) {
        const auto seen = deps_.devices.device_ids();
        candidates.insert(candidates.end(), seen.begin(), seen.end());
    }
    for (const auto& device_id : candidates) {
        if (sessions_opened_.contains(device_id)) {
            continue;
        }
        std::string device_class;
        deps_.devices.read([&](const mappings::DeviceDirectory& directory) {
            if (const auto* record = directory.find(device_id)) {
                device_class = record->device_class;
            }
        });
        // A configured device never seen may still be in a mapping's static table: its needs
        // are worked out for it alone (the cache is per known class).
        const auto needs = device_class.empty() ? needs_.probe_device(device_id)
                                                : needs_.needs_of(device_id, device_class);
        const bool listed =
            std::find(configured.begin(), configured.end(), device_id) != configured.end();
        if (needs.downlink() || listed) {
            sessions_opened_.insert(device_id);
            deps_.hub.ensure_session(device_id, needs);
        }
    }
}

}  // namespace hubgate::daemon
