#pragma once
// What `hubgate status` shows: every device session and the daemon's counters at one moment,
// and its JSON form (the control socket's answer, and `hubgate status --json`).

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace hubgate::session {
struct SessionSnapshot;
}

namespace hubgate::control {

using WallTime = std::chrono::system_clock::time_point;

// One device session as the operator sees it.
struct SessionStatus {
    std::string device_id;
    std::string state;                      // "connected", "backing-off", "refused", ...
    std::optional<WallTime> since;          // connected since
    std::optional<WallTime> backoff_until;  // backing off or refused: the next attempt
    std::string reason;                     // last failure or refusal, for people
    std::optional<WallTime> token_expiry;   // SAS token in use (none for X.509)
    std::optional<WallTime> state_since;    // entered `state` (unset: idle since it was made)
    std::optional<WallTime> last_uplink;    // the hub last took its telemetry or reported patch
    std::optional<WallTime> last_downlink;  // the hub last sent it a C2D, desired patch or method
    std::string hub;                        // the hub it connects to (a DPS assignment's)
    std::uint64_t spool_messages = 0;       // its messages in the spool not yet finished
    std::uint64_t spool_bytes = 0;
    // The session's own counters (they start again with each new session), in the order the
    // session module lists them. Only in the answer about one device (`status --device`).
    std::vector<std::pair<std::string, std::uint64_t>> counters;
};

// One device's provisioning through DPS (only with [provisioning] on).
struct ProvisioningStatus {
    std::string device_id;
    std::string state;    // "queued", "registering", "assigned", "failed", "disabled", "error"
    std::string message;  // the last registration's outcome, for people
    std::string assigned_hub;
    unsigned attempts = 0;  // registrations in this run
    std::optional<WallTime> updated;
};

// The state of a device that has messages in the spool but no session.
inline constexpr const char* kNoSessionState = "no-session";

// The daemon at one moment. Counters keep the order the daemon lists them in.
struct StatusSnapshot {
    std::vector<SessionStatus> sessions;
    // Devices registered (or being registered) with DPS in this run; absent without DPS.
    std::optional<std::vector<ProvisioningStatus>> provisioning;
    std::vector<std::pair<std::string, std::uint64_t>> counters;
};

// Version of the JSON document; bumped when a field changes meaning or goes away.
inline constexpr int kStatusFormatVersion = 1;

// {"version":1,"sessions":[{"device_id",...,"since":"2026-11-26T12:00:00Z" or null,...,
//  "spool":{"messages":n,"bytes":n}}], "counters":{"name":n,...}}, plus "provisioning":
//  [{"device_id","state","message","assigned_hub","attempts","updated"}] when DPS provisions
//  the devices. Sessions carry no counters here: with thousands of devices they would make
//  every status answer large.
nlohmann::ordered_json to_json(const StatusSnapshot& snapshot);

// One session with its counters: {"version":1,"device":{...the fields above...,
// "counters":{"connects":n,...}}}, the answer to a device request.
nlohmann::ordered_json to_device_json(const SessionStatus& session);

// One device's provisioning: {"version":1,"provisioning":{"device_id","state","message",
// "assigned_hub","attempts","updated"}}, the answer to a provisioning request.
nlohmann::ordered_json to_provisioning_json(const ProvisioningStatus& device);

// "2026-11-26T12:00:00Z" (UTC, whole seconds).
std::string format_utc(WallTime time);

// The session manager's view of one session, in this form.
SessionStatus to_session_status(const session::SessionSnapshot& snapshot);

}  // namespace hubgate::control
