#pragma once
// Counters and gauges of the spool, readable from any thread (for metrics and `hubgate status`).

#include <atomic>
#include <cstdint>

namespace hubgate::spool {

// Monotonic counters plus two gauges (bytes, messages).
struct SpoolCounters {
    std::atomic<std::uint64_t> appended{0};       // records written by append()
    std::atomic<std::uint64_t> redeliveries{0};   // appends recognised as already stored
    std::atomic<std::uint64_t> acked{0};          // records acknowledged by the hub
    std::atomic<std::uint64_t> dropped_ttl{0};    // records dropped because they outlived the TTL
    std::atomic<std::uint64_t> corrupt{0};        // damaged records (stretches, at recovery) found
    std::atomic<std::uint64_t> torn_bytes{0};     // bytes cut off a torn tail at recovery
    std::atomic<std::uint64_t> damaged_bytes{0};  // damaged bytes recovery stepped over
    std::atomic<std::uint64_t> full_events{0};    // appends refused because the spool was full
    std::atomic<std::uint64_t> disk_full{0};      // times the disk filled up (ENOSPC)
    std::atomic<std::uint64_t> io_errors{0};      // failed writes, syncs, reads or deletes
    std::atomic<std::uint64_t> recovered{0};      // unacknowledged records found at open
    std::atomic<std::uint64_t> bytes{0};          // gauge: bytes of all segment files
    std::atomic<std::uint64_t> messages{0};       // gauge: records not yet acked or dropped
    // Records given up because the sync that was to make them durable failed (the local broker
    // still had them: they were stored again when it redelivered them).
    std::atomic<std::uint64_t> unsynced_given_up{0};
};

}  // namespace hubgate::spool
