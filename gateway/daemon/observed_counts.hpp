#pragma once
// The bridge's numbers as operators see them: the Prometheus metric set (GatewayCounts) and the
// counters of `hubgate status`, worked out from the bridge's own counters and a snapshot of its
// sessions. Pure: no threads, no sockets.

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "gateway/core/bridge_counters.hpp"
#include "gateway/metrics/gateway_metrics.hpp"
#include "gateway/session/session_state.hpp"
#include "gateway/spool/spool_counters.hpp"
#include "gateway/transport/link_counters.hpp"

namespace hubgate::daemon {

// The per-session counters that metrics sum over devices.
struct SessionTotals {
    std::uint64_t reconnects = 0;      // lost connections and failed connects (each is retried)
    std::uint64_t throttle_hits = 0;   // twin operations the hub answered 429
    std::uint64_t token_renewals = 0;  // reconnects with a renewed SAS token
    bool operator==(const SessionTotals&) const = default;
};

// What one session's counters contribute.
SessionTotals session_totals(const session::SessionCounters& counters);

// Sums of SessionTotals over every device seen, which never go down (Prometheus reads a drop as
// a counter reset). A session that closes takes its counters with it and the device's next one
// starts from zero: each device's last seen values are kept, and banked when they start again.
// Not thread-safe.
class MonotonicSessionTotals {
  public:
    SessionTotals update(const std::vector<session::SessionSnapshot>& sessions);

  private:
    struct Device {
        SessionTotals banked;  // from the device's earlier sessions
        SessionTotals last;    // its current (or last seen) session
    };
    std::map<std::string, Device, std::less<>> devices_;
};

// Everything the bridge exposes that the two views read, at one moment.
// The C2D journal's figures (downlink_journal.hpp), read once per snapshot.
struct C2dJournalReadings {
    std::uint64_t kept = 0;           // journaled before the hub's PUBACK
    std::uint64_t published = 0;      // finished: the local broker acknowledged the publish
    std::uint64_t released = 0;       // finished without a local publish (dropped, counted)
    std::uint64_t keep_failures = 0;  // not journaled: the hub delivers them again
    std::uint64_t write_errors = 0;   // "done" records or compactions the disk refused
    std::uint64_t outstanding = 0;    // journaled and not yet finished
};

struct BridgeReadings {
    const core::BridgeCounters& bridge;
    const spool::SpoolCounters& spool;
    const transport::LinkCounters& local;
    const std::vector<session::SessionSnapshot>& sessions;
    SessionTotals session_totals;  // from MonotonicSessionTotals
    C2dJournalReadings c2d{};
    std::uint64_t spool_max_bytes = 0;  // spool.max_bytes: what spool_bytes is measured against
    // DPS registrations started again for devices that had an assignment (0 without DPS).
    std::uint64_t provisioning_reprovisions = 0;
};

// Uplink messages the hub took: telemetry it acknowledged, reported patches it accepted, and
// method replies handed to it.
std::uint64_t messages_routed(const core::BridgeCounters& counters);

// The metric set. Every rejection reason and session state is listed, zero or not, so that a
// series exists before its first event.
metrics::GatewayCounts gateway_counts(const BridgeReadings& readings);

// The counters `hubgate status` lists, by name; per-reason rejections only when non-zero.
std::vector<std::pair<std::string, std::uint64_t>> status_counters(const BridgeReadings& readings);

}  // namespace hubgate::daemon
