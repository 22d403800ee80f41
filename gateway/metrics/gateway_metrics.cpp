#include "gateway/metrics/gateway_metrics.hpp"

namespace hubgate::metrics {
namespace {

void counter(TextExposition& out, std::string_view name, std::string_view help,
             std::uint64_t value) {
    out.family(name, help, MetricType::Counter);
    out.sample(name, {}, static_cast<double>(value));
}

void gauge(TextExposition& out, std::string_view name, std::string_view help, std::uint64_t value) {
    out.family(name, help, MetricType::Gauge);
    out.sample(name, {}, static_cast<double>(value));
}

void labelled(TextExposition& out, std::string_view name, std::string_view help, MetricType type,
              const std::string& label, const LabelledCounts& counts) {
    out.family(name, help, type);
    for (const auto& [value, count] : counts)
        out.sample(name, {{label, value}}, static_cast<double>(count));
}

}  // namespace

std::vector<double> method_roundtrip_buckets() {
    return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300};
}

void write_gateway_metrics(TextExposition& out, const GatewayCounts& counts,
                           const HistogramSnapshot& method_roundtrip) {
    counter(out, "hubgate_messages_routed_total", "Uplink messages accepted by IoT Hub.",
            counts.messages_routed);
    labelled(out, "hubgate_messages_rejected_total",
             "Messages refused (uplinks, and downlinks the mapping or the size limit refused), by "
             "reason.",
             MetricType::Counter, "reason", counts.rejected_by_reason);
    counter(out, "hubgate_messages_spooled_total", "Messages written to the spool.",
            counts.messages_spooled);
    gauge(out, "hubgate_spool_bytes", "Bytes held in the spool.", counts.spool_bytes);
    labelled(out, "hubgate_sessions", "Device sessions, by state.", MetricType::Gauge, "state",
             counts.sessions_by_state);
    counter(out, "hubgate_reconnects_total",
            "Device session reconnects after a lost or failed connection.", counts.reconnects);
    counter(out, "hubgate_throttle_hits_total",
            "Times IoT Hub throttled the gateway (connects or twin operations).",
            counts.throttle_hits);
    out.family("hubgate_method_roundtrip_seconds",
               "Direct method round trips, from the hub's request to the device's reply.",
               MetricType::Histogram);
    out.histogram("hubgate_method_roundtrip_seconds", {}, method_roundtrip);
    counter(out, "hubgate_token_renewals_total", "SAS tokens renewed.", counts.token_renewals);
    counter(out, "hubgate_reported_patches_merged_total",
            "Reported-property patches sent merged into an earlier patch's update.",
            counts.reported_merged);
    counter(out, "hubgate_desired_patches_stale_total",
            "Desired-property patches ignored: their $version was not newer than the kept one.",
            counts.desired_stale);
    counter(out, "hubgate_plugin_crashes_total",
            "Starts that found the previous run had died inside a plugin hook.",
            counts.plugin_crashes);
    counter(out, "hubgate_messages_dead_lettered_total",
            "Local messages moved to the dead-letter folder after crashing a plugin, and "
            "acknowledged.",
            counts.dead_lettered);
    for (const auto& metric : counts.plain) {
        out.family(metric.name, metric.help, metric.type);
        out.sample(metric.name, {}, static_cast<double>(metric.value));
    }
}

}  // namespace hubgate::metrics
