#include "gateway/daemon/observed_counts.hpp"

#include <algorithm>
#include <span>
#include <string_view>

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

// One counter of `hubgate status`. Those with `help` become a /metrics family of their own,
// hubgate_<status_name>_total (a counter) or hubgate_<status_name> (a gauge); those without have
// a family of their own in GatewayCounts already (routed, rejected by reason, spool bytes, ...).
// One table for both views, so that no counter is in one and missing from the other.
struct ExportedCount {
    std::string_view status_name;
    std::string_view help;
    metrics::MetricType type;
    std::uint64_t (*read)(const BridgeReadings&);
};

using metrics::MetricType;

// Listed before the per-reason rejections.
constexpr ExportedCount kBeforeRejections[] = {
    {"uplink_received", "Messages taken from the local broker.", MetricType::Counter,
     [](const BridgeReadings& r) { return r.bridge.uplink_received.load(); }},
    {"routed",
     {},
     MetricType::Counter,
     [](const BridgeReadings& r) { return messages_routed(r.bridge); }},
    {"telemetry_spooled", "Telemetry messages written to the spool.", MetricType::Counter,
     [](const BridgeReadings& r) { return r.bridge.telemetry_spooled.load(); }},
    {"telemetry_acked", "Telemetry messages IoT Hub acknowledged.", MetricType::Counter,
     [](const BridgeReadings& r) { return r.bridge.telemetry_acked.load(); }},
    {"reported_sent", "Reported-property patches IoT Hub accepted.", MetricType::Counter,
     [](const BridgeReadings& r) { return r.bridge.reported_sent.load(); }},
    {"reported_failed", "Reported-property patches IoT Hub refused for good.", MetricType::Counter,
     [](const BridgeReadings& r) { return r.bridge.reported_failed.load(); }},
    {"twin_requests", "Twin GET requests of legacy devices.", MetricType::Counter,
     [](const BridgeReadings& r) { return r.bridge.twin_requests.load(); }},
    {"method_replies", "Direct-method replies handed to IoT Hub.", MetricType::Counter,
     [](const BridgeReadings& r) { return r.bridge.method_replies.load(); }},
    {"methods_timed_out", "Direct methods the legacy device did not answer in time.",
     MetricType::Counter,
     [](const BridgeReadings& r) { return r.bridge.methods_timed_out.load(); }},
    {"ignored", "Messages matched by an ignore rule and dropped on purpose.", MetricType::Counter,
     [](const BridgeReadings& r) { return r.bridge.ignored.load(); }},
    {"downlink_published", "Downlinks published to the local broker.", MetricType::Counter,
     [](const BridgeReadings& r) { return r.bridge.downlink_published.load(); }},
    {"downlink_failed",
     "Downlinks that reached no device (refused by the mapping or the size limit, or not taken "
     "by the local broker).",
     MetricType::Counter, [](const BridgeReadings& r) { return r.bridge.downlink_failed.load(); }},
    {"desired_stale",
     {},
     MetricType::Counter,
     [](const BridgeReadings& r) { return r.bridge.desired_stale.load(); }},
    {"reported_merged",
     {},
     MetricType::Counter,
     [](const BridgeReadings& r) { return r.bridge.reported_merged.load(); }},
    {"plugin_crashes",
     {},
     MetricType::Counter,
     [](const BridgeReadings& r) { return r.bridge.plugin_crashes.load(); }},
    {"dead_lettered",
     {},
     MetricType::Counter,
     [](const BridgeReadings& r) { return r.bridge.dead_lettered.load(); }},
    {"downlinks_dead_lettered",
     "Downlinks (C2D, desired, method calls) moved to the dead-letter folder after crashing a "
     "plugin, and let go.",
     MetricType::Counter,
     [](const BridgeReadings& r) { return r.bridge.downlinks_dead_lettered.load(); }},
    {"rejected",
     {},
     MetricType::Counter,
     [](const BridgeReadings& r) { return r.bridge.rejected_total(); }},
};

// Listed after the per-reason rejections.
constexpr ExportedCount kAfterRejections[] = {
    {"spool_messages", "Messages in the spool not yet acknowledged or dropped.", MetricType::Gauge,
     [](const BridgeReadings& r) { return r.spool.messages.load(); }},
    {"spool_bytes",
     {},
     MetricType::Gauge,
     [](const BridgeReadings& r) { return r.spool.bytes.load(); }},
    {"spool_max_bytes",
     "The spool's size limit (spool.max_bytes); at it, the local broker keeps new messages.",
     MetricType::Gauge, [](const BridgeReadings& r) { return r.spool_max_bytes; }},
    {"spool_full_events", "Messages the spool refused because it was full (the broker keeps them).",
     MetricType::Counter, [](const BridgeReadings& r) { return r.spool.full_events.load(); }},
    {"spool_dropped_ttl", "Spooled messages dropped because they outlived spool.ttl.",
     MetricType::Counter, [](const BridgeReadings& r) { return r.spool.dropped_ttl.load(); }},
    {"spool_io_errors", "Failed spool writes, syncs, reads or deletes.", MetricType::Counter,
     [](const BridgeReadings& r) { return r.spool.io_errors.load(); }},
    {"spool_redeliveries",
     "Local messages the broker delivered again that the spool already had (not stored twice).",
     MetricType::Counter, [](const BridgeReadings& r) { return r.spool.redeliveries.load(); }},
    {"spool_corrupt", "Spool records found with a bad checksum or header.", MetricType::Counter,
     [](const BridgeReadings& r) { return r.spool.corrupt.load(); }},
    {"spool_disk_full", "Times the spool's disk filled up (the spool paused until space returned).",
     MetricType::Counter, [](const BridgeReadings& r) { return r.spool.disk_full.load(); }},
    {"spool_damaged_bytes", "Damaged spool bytes skipped at start-up (a copy is kept in damaged/).",
     MetricType::Counter, [](const BridgeReadings& r) { return r.spool.damaged_bytes.load(); }},
    {"spool_unsynced_given_up",
     "Messages stored again because a spool sync failed before they were durable.",
     MetricType::Counter, [](const BridgeReadings& r) { return r.spool.unsynced_given_up.load(); }},
    {"c2d_journaled", "C2D messages written to the journal before the hub had their PUBACK.",
     MetricType::Counter, [](const BridgeReadings& r) { return r.c2d.kept; }},
    {"c2d_journal_published", "Journaled C2D messages the local broker acknowledged.",
     MetricType::Counter, [](const BridgeReadings& r) { return r.c2d.published; }},
    {"c2d_journal_released",
     "Journaled C2D messages finished without a local publish (no rule rendered them, or the "
     "local link refused them; counted in downlink_failed too).",
     MetricType::Counter, [](const BridgeReadings& r) { return r.c2d.released; }},
    {"c2d_journal_failures",
     "C2D messages the journal could not write (not acknowledged: the hub delivers them again).",
     MetricType::Counter, [](const BridgeReadings& r) { return r.c2d.keep_failures; }},
    {"c2d_journal_write_errors", "Journal notes or compactions the disk refused.",
     MetricType::Counter, [](const BridgeReadings& r) { return r.c2d.write_errors; }},
    {"c2d_journal_outstanding",
     "C2D messages journaled and not yet acknowledged by the local broker.", MetricType::Gauge,
     [](const BridgeReadings& r) { return r.c2d.outstanding; }},
    {"provisioning_reprovisions",
     "DPS registrations of devices that had an assignment: their hub refused an assignment that "
     "had worked (deleted, disabled or moved), or `hubgate provision` asked.",
     MetricType::Counter, [](const BridgeReadings& r) { return r.provisioning_reprovisions; }},
    {"local_connected", "1 while connected to the local broker.", MetricType::Gauge,
     [](const BridgeReadings& r) -> std::uint64_t { return r.local.connected.load() ? 1 : 0; }},
    {"local_reconnects", "Connections to the local broker after the first.", MetricType::Counter,
     [](const BridgeReadings& r) { return r.local.reconnects.load(); }},
    {"local_publish_dropped",
     "Downlink publishes the local link refused (queue full or bad topic).", MetricType::Counter,
     [](const BridgeReadings& r) { return r.local.publish_dropped.load(); }},
    {"local_read_ahead",
     "Local messages taken while an earlier batch synced (read ahead instead of waiting for the "
     "disk).",
     MetricType::Counter, [](const BridgeReadings& r) { return r.local.read_ahead.load(); }},
    {"local_misreads",
     "Messages the local link's library read while a batch synced, against the read-ahead rules: "
     "the connection was dropped and the broker delivers them again. Should stay 0.",
     MetricType::Counter, [](const BridgeReadings& r) { return r.local.misreads.load(); }},
    {"session_reconnects",
     {},
     MetricType::Counter,
     [](const BridgeReadings& r) { return r.session_totals.reconnects; }},
    {"throttle_hits",
     {},
     MetricType::Counter,
     [](const BridgeReadings& r) { return r.session_totals.throttle_hits; }},
    {"token_renewals",
     {},
     MetricType::Counter,
     [](const BridgeReadings& r) { return r.session_totals.token_renewals; }},
};

// The table's entries that have no family of their own, as plain metrics.
void add_plain(std::span<const ExportedCount> table, const BridgeReadings& readings,
               std::vector<metrics::PlainMetric>& out) {
    for (const auto& entry : table) {
        if (entry.help.empty()) {
            continue;
        }
        std::string name = "hubgate_" + std::string(entry.status_name);
        if (entry.type == MetricType::Counter) {
            name += "_total";
        }
        out.push_back({std::move(name), std::string(entry.help), entry.type, entry.read(readings)});
    }
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

std::uint64_t messages_routed(const core::BridgeCounters& counters) {
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
        counts.rejected_by_reason.emplace_back(
            std::string(to_string(static_cast<core::BridgeReject>(i))),
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
    counts.reported_merged = readings.bridge.reported_merged.load();
    counts.desired_stale = readings.bridge.desired_stale.load();
    counts.plugin_crashes = readings.bridge.plugin_crashes.load();
    counts.dead_lettered = readings.bridge.dead_lettered.load();
    add_plain(kBeforeRejections, readings, counts.plain);
    add_plain(kAfterRejections, readings, counts.plain);
    return counts;
}

std::vector<std::pair<std::string, std::uint64_t>> status_counters(const BridgeReadings& readings) {
    std::vector<std::pair<std::string, std::uint64_t>> counters;
    const auto add_all = [&](std::span<const ExportedCount> table) {
        for (const auto& entry : table) {
            counters.emplace_back(std::string(entry.status_name), entry.read(readings));
        }
    };
    add_all(kBeforeRejections);
    const auto& b = readings.bridge;
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
                "rejected_" + std::string(to_string(static_cast<core::BridgeReject>(i))), n);
        }
    }
    add_all(kAfterRejections);
    return counters;
}

}  // namespace hubgate::daemon
