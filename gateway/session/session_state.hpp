#pragma once
// What a device session is doing, and the numbers it keeps, as shown by `hubgate status` and
// metrics (a copy taken on the manager's thread).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/session/clock.hpp"

namespace hubgate::session {

// The life of one device session.
enum class SessionState {
    Idle,              // created, not started
    WaitingToConnect,  // queued for a slot of the global connect rate
    Connecting,        // CONNECT sent (or a renewal's DISCONNECT), waiting for the answer
    Connected,
    BackingOff,  // a connect failed or the connection was lost; retries at retry_at
    Refused,     // the hub refused the credentials (CONNACK 4/5); retries much later
    Replaced,    // another connection took the device id; let go, retries after replaced_retry
    Closed,      // closed by the manager (idle, or shutting down)
};

std::string_view to_string(SessionState state);

// Per-session counters (monotonic).
struct SessionCounters {
    uint64_t connect_attempts = 0;
    uint64_t connects = 0;
    uint64_t connect_failures = 0;
    uint64_t refusals = 0;
    uint64_t connects_throttled = 0;  // CONNACK 3: the hub is busy (or throttling this hub)
    uint64_t connection_losses = 0;
    uint64_t renewals = 0;
    uint64_t telemetry_sent = 0;
    uint64_t telemetry_acked = 0;
    uint64_t telemetry_failed = 0;
    uint64_t c2d_received = 0;
    uint64_t desired_received = 0;
    uint64_t methods_received = 0;
    uint64_t methods_answered = 0;
    uint64_t methods_unmapped = 0;
    uint64_t twin_requests = 0;
    uint64_t twin_retries = 0;
    uint64_t twin_throttled = 0;
    uint64_t twin_failed = 0;
    uint64_t downlink_dropped = 0;  // hub messages this device's mapping has no use for
};

// One session as seen from outside.
struct SessionSnapshot {
    std::string device_id;
    SessionState state = SessionState::Idle;
    std::optional<WallTime> retry_at;      // BackingOff / Refused / Replaced: when it tries again
    std::string reason;                    // last failure or refusal, for people
    std::optional<WallTime> token_expiry;  // SAS token in use (none for X.509)
    std::optional<WallTime> connected_since;
    std::optional<WallTime> state_since;    // when it entered `state` (unset: Idle since made)
    std::optional<WallTime> last_uplink;    // the hub last took telemetry or a reported patch
    std::optional<WallTime> last_downlink;  // the hub last sent a C2D, desired patch or method
    std::string hub;                        // host name of the hub of its last CONNECT, or empty
    SessionCounters counters;
};

}  // namespace hubgate::session
