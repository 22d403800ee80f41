#include "gateway/core/uplink_pipeline.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace hubgate::core {

UplinkOutcome UplinkPipeline::handle(std::string_view topic, std::string_view payload,
                                     uint32_t packet_id) {
    ++deps_.counters.uplink_received;
    if (guard_ != nullptr) {
        if (const auto screening = guard_->screen(topic, payload); screening != Screening::pass) {
            return screening == Screening::dead_lettered ? UplinkOutcome::refused
                                                         : UplinkOutcome::retry;
        }
    }
    // Checked before the plugins too: a local broker takes messages of up to 256 MB, and no
    // plugin should have to parse one the hub could never take.
    if (payload.size() > kMaxTelemetryBytes) {
        count_rejection(deps_.counters, BridgeReject::payload_too_large, topic,
                        std::to_string(payload.size()) + " bytes before the plugins (the hub " +
                            "takes at most " + std::to_string(kMaxTelemetryBytes) + ")");
        return UplinkOutcome::refused;
    }
    // Held until the message is stored: the route points into these rules.
    const auto rules = deps_.mappings.current();
    auto result = [&] {
        const HooksScope in_hooks(guard_, topic, payload);  // plugin hooks run inside
        return rules->set->route_uplink(topic, payload, std::move(spare_captures_));
    }();
    if (std::holds_alternative<mappings::NoMatch>(result)) {
        count_rejection(deps_.counters, BridgeReject::no_rule, topic, "no mapping rule matches");
        return UplinkOutcome::refused;
    }
    if (const auto* rejection = std::get_if<mappings::Rejection>(&result)) {
        count_rejection(deps_.counters, *rejection, topic);
        return UplinkOutcome::refused;
    }
    auto& route = std::get<mappings::UplinkRoute>(result);
    const UplinkOutcome outcome = dispatch(topic, payload, packet_id, route);
    spare_captures_ = std::move(route.captures);  // the next message's captures are built here
    return outcome;
}

UplinkOutcome UplinkPipeline::dispatch(std::string_view topic, std::string_view payload,
                                       uint32_t packet_id, mappings::UplinkRoute& route) {
    if (route.kind == mappings::UplinkKind::ignore) {
        ++deps_.counters.ignored;
        return UplinkOutcome::accepted;
    }
    if (route.payload.size() + route.property_bag.size() > kMaxTelemetryBytes) {
        count_rejection(deps_.counters, BridgeReject::payload_too_large, topic,
                        std::to_string(route.payload.size()) +
                            " bytes after the plugins (the hub takes at most " +
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
            return reported(topic, route, {packet_id, spool::source_digest(topic, payload)});
        case mappings::UplinkKind::twin_get:
            return twin_get(topic, route, {packet_id, spool::source_digest(topic, payload)});
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
    message.kind = spool::RecordKind::telemetry;
    message.properties = std::move(route.properties);
    message.payload = std::move(route.payload);
    message.source = source;
    const auto outcome = store(topic, route, std::move(message));
    if (outcome == UplinkOutcome::accepted) {
        ++deps_.counters.telemetry_spooled;
    }
    return outcome;
}

UplinkOutcome UplinkPipeline::reported(std::string_view topic, mappings::UplinkRoute& route,
                                       spool::SourceRef source) {
    // The mapping engine parsed it once, after the plugins: a JSON object is all that is spooled.
    spool::SpoolMessage message;
    message.kind = spool::RecordKind::reported;
    message.payload = std::move(route.payload);
    message.source = source;
    return store(topic, route, std::move(message));
}

UplinkOutcome UplinkPipeline::twin_get(std::string_view topic, mappings::UplinkRoute& route,
                                       spool::SourceRef source) {
    ++deps_.counters.twin_requests;
    spool::SpoolMessage message;
    message.kind = spool::RecordKind::twin_get;
    message.request_id = std::move(route.request_id);
    message.reply_topic = std::move(route.reply_topic);
    message.source = source;
    return store(topic, route, std::move(message));
}

UplinkOutcome UplinkPipeline::store(std::string_view topic, mappings::UplinkRoute& route,
                                    spool::SpoolMessage&& message) {
    // The spool keeps its own copy of the id (its per-device queue is keyed by it); the route's
    // goes on to the sender.
    message.device_id = route.device_id;
    const auto appended = deps_.spool.append(std::move(message));
    switch (appended.status) {
        case spool::AppendStatus::ok:
            deps_.sender.notify(std::move(route.device_id));
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

UplinkOutcome UplinkPipeline::method_reply(std::string_view topic,
                                           const mappings::UplinkRoute& route) {
    // Matched with its call on the hub thread; a reply nothing waits for is counted there.
    deps_.methods.post_reply(route, topic);
    return UplinkOutcome::accepted;
}

void UplinkPipeline::ensure_session(const mappings::UplinkRoute& route) {
    if (const auto generation = deps_.mappings.generation(); generation != rules_generation_) {
        rules_generation_ = generation;
        sessions_opened_.clear();
        twin_opened_.clear();
    }
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

}  // namespace hubgate::core
