#pragma once
// The messages the spool stores: what the caller appends, and what it gets back when draining.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hubgate::spool {

// Ordered name/value pairs (same shape as mappings::Properties; the spool does not interpret them).
using Properties = std::vector<std::pair<std::string, std::string>>;

// Where a message came from on the local broker, so that a redelivery of a message the spool
// already holds (the broker resends what it did not see acknowledged, with the same packet id)
// is recognised instead of stored twice under a new $.mid. packet_id 0 (QoS 0) never matches.
struct SourceRef {
    std::uint32_t packet_id = 0;  // MQTT packet id of the local PUBLISH
    std::uint64_t digest = 0;     // source_digest(local topic, local payload)
};

// A stable 64-bit digest (FNV-1a) of a local message's topic and payload, for SourceRef.
std::uint64_t source_digest(std::string_view topic, std::string_view payload);

// A routed message as the caller hands it to the spool. Only device_id means anything to the
// spool (messages drain in order per device); the other fields are stored and returned verbatim.
struct SpoolMessage {
    std::string device_id;
    std::string kind;   // e.g. "telemetry", "reported": the mapping route's kind
    std::string topic;  // e.g. the local topic it came from, or the upstream topic
    Properties properties;
    std::string payload;  // opaque bytes
    SourceRef source;     // optional (all zero: no redelivery detection)
};

// A stored message: the caller's message plus what the spool assigned at append time. `seq` is
// the handle for ack(); `mid` is the stable message id ($.mid) that every redelivery carries.
struct SpooledMessage {
    std::uint64_t seq = 0;
    std::string mid;
    // When it was stored, on the spool's age clock (spool_clock.hpp): close to the wall clock, but
    // it never jumps, and does not run while hubgate is stopped.
    std::chrono::system_clock::time_point enqueued;
    SpoolMessage message;
};

}  // namespace hubgate::spool
