#pragma once
// Counters of the local link, readable from any thread (for metrics and `hubgate status`).

#include <atomic>
#include <cstdint>

namespace hubgate::transport {

// Monotonic counters plus the `connected` gauge.
struct LinkCounters {
    std::atomic<std::uint64_t> connects{0};            // CONNACKs accepted
    std::atomic<std::uint64_t> reconnects{0};          // of those, after the first one
    std::atomic<std::uint64_t> connect_failures{0};    // attempts refused, failed or timed out
    std::atomic<std::uint64_t> disconnects{0};         // established connections lost
    std::atomic<std::uint64_t> subscribed{0};          // SUBACKs granting every filter
    std::atomic<std::uint64_t> subscribe_failures{0};  // filters the broker refused
    std::atomic<std::uint64_t> received{0};            // messages handed to the handler
    std::atomic<std::uint64_t> refused{0};  // messages the handler could not store (redelivered)
    std::atomic<std::uint64_t> commit_failures{0};  // batches whose commit failed (redelivered)
    // PUBLISHes libmosquitto read while a batch synced, which the link did not let it read: the
    // connection was dropped unacknowledged (redelivered). Reading ahead is wrong if this moves.
    std::atomic<std::uint64_t> misreads{0};
    // Messages taken while an earlier batch synced (read ahead), of `received`.
    std::atomic<std::uint64_t> read_ahead{0};
    std::atomic<std::uint64_t> read_pauses{0};      // times reading stopped for flow control
    std::atomic<std::uint64_t> published{0};        // downlink messages passed to libmosquitto
    std::atomic<std::uint64_t> publish_dropped{0};  // publish() refused: queue full or bad input
    std::atomic<bool> connected{false};
};

}  // namespace hubgate::transport
