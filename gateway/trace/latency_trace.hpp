#pragma once
// A timestamp trace of the uplink path, for finding what holds up the slowest messages
// (BENCHMARKS.md, "Tracing the added latency"). Compiled in only when the tree is configured
// with -DHUBGATE_LATENCY_TRACE=ON: otherwise every macro below expands to nothing, so the normal
// build has neither the cost nor another code path.
//
// Each call appends one event (wall-clock time in ns, what, a key, a second value, a context
// pointer) to a fixed-size ring shared by every thread; the newest events are written to
// `$HUBGATE_LATENCY_TRACE_FILE.<pid>.tsv` when the process exits. Message stages carry the
// spool's sequence number, except on the upstream link, which knows only the session's publish
// tag: `publish_call` names both, with the session's event relay as context, and
// bench/latency_trace_report.py joins them into one row per message.

#include <cstdint>

#ifdef HUBGATE_LATENCY_TRACE

#include <string>
#include <string_view>

namespace hubgate::trace {

enum class Point : std::uint8_t {
    // Stages of one uplink message.
    published,        // key seq: the publisher's stamp ("t=<µs>;" opening the payload), if any
    local_read,       // key seq: libmosquitto handed the message to the local link
    spool_append,     // key seq: the record is in the segment (not synced)
    commit_released,  // the local link released a committed batch's PUBACKs
    sender_take,      // key seq: the spool sender hands it to the device session
    publish_call,     // key seq, aux the session's publish tag, ctx the session's relay
    tls_written,      // key tag, ctx relay: mosquitto_publish returned (aux 1: bytes still queued)
    hub_puback,       // key tag, ctx relay
    // What runs beside them.
    sync_start,  // key the first seq of the batch, aux the end (exclusive)
    sync_end,    // aux 1 when the sync succeeded
    tidy_start,  // the main thread's Spool::tidy()
    tidy_end,
    acks_write_start,  // acks.log written under the spool's lock
    acks_write_end,
    segment_roll_start,  // a new segment created (and its directory synced) under the lock
    segment_roll_end,
    atomic_write_start,  // a file replaced with write, fsync, rename (the desired-state store)
    atomic_write_end,
    read_paused,  // the local link stops reading: can_accept() said no (spool or disk full,
                  // or too many PUBACKs not yet confirmed by the PUBACK echo)
    read_resumed,
};

void record(Point point, std::uint64_t key = 0, std::uint64_t aux = 0,
            const void* context = nullptr) noexcept;
// On the local link's thread, before the message goes through the pipeline: the time is kept
// until the spool appends it (appended(), same thread) and learns its sequence number.
void note_local_read() noexcept;
// Emits published (from the payload's stamp), local_read and spool_append for `seq`.
void appended(std::uint64_t seq, std::string_view payload) noexcept;
// Writes the ring's events, oldest first, as tab-separated lines under a header; what the exit
// does with $HUBGATE_LATENCY_TRACE_FILE. False when the file cannot be written.
bool write_events(const std::string& path);

}  // namespace hubgate::trace

#define HUBGATE_TRACE(...) ::hubgate::trace::record(__VA_ARGS__)
#define HUBGATE_TRACE_LOCAL_READ() ::hubgate::trace::note_local_read()
#define HUBGATE_TRACE_APPENDED(seq, payload) ::hubgate::trace::appended((seq), (payload))

#else

#define HUBGATE_TRACE(...) ((void)0)
#define HUBGATE_TRACE_LOCAL_READ() ((void)0)
#define HUBGATE_TRACE_APPENDED(seq, payload) ((void)0)

#endif
