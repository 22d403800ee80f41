#pragma once
// The messages the spool stores: the typed uplink record the caller appends (moved in, never
// copied), and what it gets back when draining.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hubgate::spool {

// Ordered name/value pairs (same shape as mappings::Properties; the spool does not interpret them).
using Properties = std::vector<std::pair<std::string, std::string>>;

// What a record is. The value is the byte the record stores on disk: never renumber, only append.
enum class RecordKind : std::uint8_t {
    telemetry = 1,  // a D2C message: properties and payload
    reported = 2,   // a reported-properties patch: payload is one JSON object
    twin_get = 3,   // a twin GET a legacy device asked for: request_id and reply_topic
};

// "telemetry", "reported", "twin-get" (the mapping's names), for logs and tests.
std::string_view to_string(RecordKind kind);
// The kind a stored byte names; nullopt for a byte no kind has (damage, or a newer hubgate).
std::optional<RecordKind> record_kind_from_byte(std::uint8_t byte);

// Where a message came from on the local broker, so that a redelivery of a message the spool
// already holds (the broker resends what it did not see acknowledged, with the same packet id)
// is recognised instead of stored twice under a new $.mid. packet_id 0 (QoS 0) never matches.
struct SourceRef {
    std::uint32_t packet_id = 0;  // MQTT packet id of the local PUBLISH
    std::uint64_t digest = 0;     // source_digest(local topic, local payload)
};

// A stable 64-bit digest (FNV-1a) of a local message's topic and payload, for SourceRef.
std::uint64_t source_digest(std::string_view topic, std::string_view payload);

// One routed uplink message, as the mapping produced it: a kind and the fields of that kind.
// Only device_id means anything to the spool (messages drain in order per device); the others
// are stored once and handed back verbatim. Fields a kind does not use stay empty and are not
// stored.
struct SpoolMessage {
    std::string device_id;
    RecordKind kind = RecordKind::telemetry;
    Properties properties;    // telemetry: application and system properties (decoded)
    std::string payload;      // telemetry: opaque bytes; reported: the JSON patch
    std::string request_id;   // twin_get: the device's own {rid} ("" when it has none)
    std::string reply_topic;  // twin_get: the rule's reply topic ("" = render the twin answer)
    SourceRef source;         // optional (all zero: no redelivery detection)
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
