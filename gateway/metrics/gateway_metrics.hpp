#pragma once
// hubgate's own metric set, named in one place: the daemon reads its counters into
// GatewayCounts at scrape time and write_gateway_metrics() turns them into families.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "gateway/metrics/histogram.hpp"
#include "gateway/metrics/text_format.hpp"

namespace hubgate::metrics {

// A label value and its count, e.g. {"no_rule", 3} or {"connected", 120}.
using LabelledCounts = std::vector<std::pair<std::string, std::uint64_t>>;

// A metric without labels, written under its own name ("hubgate_spool_dropped_ttl_total").
struct PlainMetric {
    std::string name;
    std::string help;
    MetricType type = MetricType::Counter;
    std::uint64_t value = 0;
};

// The daemon's numbers at one moment.
struct GatewayCounts {
    std::uint64_t messages_routed = 0;   // uplink messages accepted by the hub
    LabelledCounts rejected_by_reason;   // reason -> messages refused
    std::uint64_t messages_spooled = 0;  // messages written to the spool
    std::uint64_t spool_bytes = 0;       // bytes the spool holds now
    LabelledCounts sessions_by_state;    // session state -> sessions in it now
    std::uint64_t reconnects = 0;        // upstream reconnects after a lost or failed connection
    std::uint64_t throttle_hits = 0;     // times the hub pushed back (CONNACK 3, twin 429)
    std::uint64_t token_renewals = 0;    // SAS tokens renewed
    std::uint64_t reported_merged = 0;   // reported patches merged into an earlier one's PATCH
    std::uint64_t desired_stale = 0;     // desired patches ignored: $version not newer
    std::uint64_t plugin_crashes = 0;    // starts that found the last run died inside a plugin
    std::uint64_t dead_lettered = 0;     // local messages moved to the dead-letter folder
    // Every other counter and gauge of `hubgate status`, one family each, in status order.
    std::vector<PlainMetric> plain;
};

// Bucket bounds (seconds) of hubgate_method_roundtrip_seconds: direct methods time out after at
// most a few minutes, and most legacy devices answer in well under a second.
std::vector<double> method_roundtrip_buckets();

// Writes every hubgate_* family from `counts` and the method round-trip histogram.
void write_gateway_metrics(TextExposition& out, const GatewayCounts& counts,
                           const HistogramSnapshot& method_roundtrip);

}  // namespace hubgate::metrics
