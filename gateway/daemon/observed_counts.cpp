#include "gateway/daemon/observed_counts.hpp"

#include <algorithm>

namespace hubgate::daemon {

namespace {

constexpr session::SessionState kLastState = session::SessionState::Closed;

SessionTotals& operator+=(SessionTotals& sum, const SessionTotals& more) {
    sum.reconnects += more.reconnects;
    sum.throttle_hits += more.throttle_hits;
    sum.token_renewals += more.token_renewals;
    return sum;
}

// A field lower than last time means a new session: bank what the old one had counted.
void bank_if_restarted(std::uint64_t now, std::uint64_t& last, std::uint64_t& banked) {
    if (now < last) {
        banked += last;
    }
    last = now;
}

}  // namespace

SessionTotals session_totals(const session::SessionCounters& counters) {
    SessionTotals totals;
    totals.reconnects = counters.connection_losses + counters.connect_failures;
    totals.throttle_hits = counters.twin_throttled + counters.connects_throttled;
    totals.token_renewals = counters.renewals;
    return totals;
}

SessionTotals MonotonicSessionTotals::update(
    const std::vector<session::SessionSnapshot>& sessions) {
    for (const auto& snapshot : sessions) {
        const auto now = session_totals(snapshot.counters);
        auto& device = devices_[snapshot.device_id];
        bank_if_restarted(now.reconnects, device.last.reconnects, device.banked.reconnects);
        bank_if_restarted(now.throttle_hits, device.last.throttle_hits,
                          device.banked.throttle_hits);
        bank_if_restarted(now.token_renewals, device.last.token_renewals,
                          device.banked.token_renewals);
    }
    SessionTotals sum;
    for (const auto& [id, device] : devices_) {
        sum += device.banked;
        sum += device.last;
    }
    return sum;
}

std::uint64_t messages_routed(const BridgeCounters& counters) {
    return counters.telemetry_acked.load() + counters.reported_sent.load() +
           counters.method_replies.load();
}

metrics::GatewayCounts gateway_counts(const BridgeReadings& readings) {
    metrics::GatewayCounts counts;
    counts.messages_routed = messages_routed(readings.bridge);
    for (std::size_t i = 0; i < readings.bridge.mapping_rejected.size(); ++i) {
        counts.rejected_by_reason.emplace_back(
            std::string(mappings::to_string(static_cast<mappings::RejectReason>(i))),
            readings.bridge.mapping_rejected[i].load());
    }
    for (std::size_t i = 0; i < readings.bridge.bridge_rejected.size(); ++i) {
        counts.rejected_by_reason.emplace_back(std::string(to_string(static_cast<BridgeReject>(i))),
                                               readings.bridge.bridge_rejected[i].load());
    }
    counts.messages_spooled = readings.spool.appended.load();
    counts.spool_bytes = readings.spool.bytes.load();
    for (int i = 0; i <= static_cast<int>(kLastState); ++i) {
        const auto state = static_cast<session::SessionState>(i);
        const auto n = std::count_if(readings.sessions.begin(), readings.sessions.end(),
                                     [state](const auto& s) { return s.state == state; });
        counts.sessions_by_state.emplace_back(std::string(session::to_string(state)),
                                              static_cast<std::uint64_t>(n));
    }
    counts.reconnects = readings.session_totals.reconnects;
    counts.throttle_hits = readings.session_totals.throttle_hits;
    counts.token_renewals = readings.session_totals.token_renewals;
    return counts;
}

std::vector<std::pair<std::string, std::uint64_t>> status_counters(const BridgeReadings& readings) {
    const auto& b = readings.bridge;
    std::vector<std::pair<std::string, std::uint64_t>> counters{
        {"uplink_received", b.uplink_received.load()},
        {"routed", messages_routed(b)},
        {"telemetry_spooled", b.telemetry_spooled.load()},
        {"telemetry_acked", b.telemetry_acked.load()},
        {"reported_sent", b.reported_sent.load()},
        {"reported_failed", b.reported_failed.load()},
        {"twin_requests", b.twin_requests.load()},
        {"method_replies", b.method_replies.load()},
        {"methods_timed_out", b.methods_timed_out.load()},
        {"ignored", b.ignored.load()},
        {"downlink_published", b.downlink_published.load()},
        {"downlink_failed", b.downlink_failed.load()},
        {"rejected", b.rejected_total()},
    };
    for (std::size_t i = 0; i < b.mapping_rejected.size(); ++i) {
        if (const auto n = b.mapping_rejected[i].load(); n > 0) {
            counters.emplace_back("rejected_" + std::string(mappings::to_string(
                                                    static_cast<mappings::RejectReason>(i))),
                                  n);
        }
    }
    for (std::size_t i = 0; i < b.bridge_rejected.size(); ++i) {
        if (const auto n = b.bridge_rejected[i].load(); n > 0) {
            counters.emplace_back(
                "rejected_" + std::string(to_string(static_cast<BridgeReject>(i))), n);
        }
    }
    const auto& spool = readings.spool;
    counters.insert(counters.end(),
                    {
                        {"spool_messages", spool.messages.load()},
                        {"spool_bytes", spool.bytes.load()},
                        {"spool_full_events", spool.full_events.load()},
                        {"spool_dropped_ttl", spool.dropped_ttl.load()},
                        {"spool_io_errors", spool.io_errors.load()},
                        {"spool_redeliveries", spool.redeliveries.load()},
                        {"local_connected", readings.local.connected.load() ? 1U : 0U},
                        {"local_reconnects", readings.local.reconnects.load()},
                        {"session_reconnects", readings.session_totals.reconnects},
                        {"throttle_hits", readings.session_totals.throttle_hits},
                        {"token_renewals", readings.session_totals.token_renewals},
                    });
    return counters;
}

}  // namespace hubgate::daemon
