#pragma once
// What the bridge counts, readable from any thread (for logs, `hubgate status` and metrics),
// and the one place that logs a refused message with its reason.

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include "gateway/metrics/gateway_metrics.hpp"
#include "gateway/metrics/histogram.hpp"
#include "hubgate/mappings/route.hpp"

namespace hubgate::core {

// Why the bridge itself (not the mapping engine) refused an uplink message.
enum class BridgeReject : std::uint8_t {
    no_rule,            // no mapping rule matches the topic
    payload_too_large,  // the hub closes the connection on D2C messages above 256 KB
    spool_error,        // the spool could not store it (I/O error, record too large)
    unmatched_reply,    // a method reply with no pending request to answer
};
inline constexpr std::size_t kBridgeRejectCount = 4;
std::string_view to_string(BridgeReject reason);

inline constexpr std::size_t kMappingRejectCount =
    static_cast<std::size_t>(mappings::RejectReason::invalid_local_topic) + 1;

// Monotonic counters of the bridge.
struct BridgeCounters {
    std::atomic<std::uint64_t> uplink_received{0};
    std::atomic<std::uint64_t> telemetry_spooled{0};
    std::atomic<std::uint64_t> telemetry_acked{0};
    std::atomic<std::uint64_t> reported_sent{0};
    std::atomic<std::uint64_t> reported_failed{0};
    std::atomic<std::uint64_t> twin_requests{0};
    std::atomic<std::uint64_t> method_replies{0};
    std::atomic<std::uint64_t> ignored{0};
    std::atomic<std::uint64_t> downlink_published{0};
    std::atomic<std::uint64_t> downlink_failed{0};
    std::atomic<std::uint64_t> methods_timed_out{0};
    // Starts that found the last process had died inside a plugin hook (PoisonGuard).
    std::atomic<std::uint64_t> plugin_crashes{0};
    // Local messages kept in the dead-letter folder after crashing plugins, and acknowledged.
    std::atomic<std::uint64_t> dead_lettered{0};
    // Downlinks (C2D, desired, method calls) kept in the dead-letter folder after crashing
    // plugins, and let go (journal entry released, method answered with an error).
    std::atomic<std::uint64_t> downlinks_dead_lettered{0};
    // Desired patches ignored because their $version was not newer than the kept document's.
    std::atomic<std::uint64_t> desired_stale{0};
    // Reported patches that went up merged into the PATCH of an earlier one (each saved a twin
    // update): see reported_merge.hpp.
    std::atomic<std::uint64_t> reported_merged{0};
    std::array<std::atomic<std::uint64_t>, kMappingRejectCount> mapping_rejected{};
    std::array<std::atomic<std::uint64_t>, kBridgeRejectCount> bridge_rejected{};
    // Seconds from a method request handed to the legacy device to its reply (thread-safe).
    metrics::Histogram method_roundtrip{metrics::method_roundtrip_buckets()};

    std::uint64_t rejected_total() const;
    // "uplink=.. spooled=.. acked=.. ... rejected{reason=n,...}" for the periodic log line.
    std::string summary() const;
};

// Counts and logs one refused uplink. The first few of each reason are logged at warning level
// with the topic and the reason's text; after that one line per 1000 keeps a flood readable.
void count_rejection(BridgeCounters& counters, const mappings::Rejection& rejection,
                     std::string_view topic);
void count_rejection(BridgeCounters& counters, BridgeReject reason, std::string_view topic,
                     std::string_view detail);
// Counts and logs one downlink the mapping refused (a value from the cloud that would reshape a
// local topic, a device with no template...): once in downlink_failed and once under its reason,
// logged like refused uplinks.
void count_downlink_rejection(BridgeCounters& counters, const mappings::Rejection& rejection,
                              std::string_view device_id, mappings::DownlinkKind kind);

}  // namespace hubgate::core
