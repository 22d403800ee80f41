#pragma once
// Per-device views of the daemon's answers, for people: `hubgate status --device ID` (one device
// in detail) and `hubgate devices` (one line per device).

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace hubgate::control {

// The states a device can be listed in: every session state, and "no-session" (messages spooled,
// no session).
std::vector<std::string> device_states();

// The "device" object of a device answer as "NAME  value" lines (its hub, state and since when,
// last error, retry time, token expiry, spool backlog, last uplink and downlink), then the
// session's counters as COUNTER VALUE. Missing fields print as "-"; unknown ones are ignored.
std::string format_device_detail(const nlohmann::ordered_json& device);

// The sessions of a status answer, one line each after a header: DEVICE STATE STATE-SINCE
// SPOOL-MSGS SPOOL-BYTES LAST-UPLINK LAST-DOWNLINK HUB REASON. With `state`, only the devices in
// it.
std::string format_device_lines(const nlohmann::ordered_json& status,
                                const std::optional<std::string>& state);

// The sessions of a status answer in `state` (all without one), as a JSON array.
nlohmann::ordered_json devices_in_state(const nlohmann::ordered_json& status,
                                        const std::optional<std::string>& state);

}  // namespace hubgate::control
