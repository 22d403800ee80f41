#include "gateway/control/device_view.hpp"

#include <fmt/format.h>

#include "gateway/control/status_snapshot.hpp"
#include "gateway/control/status_table.hpp"
#include "gateway/session/session_state.hpp"

namespace hubgate::control {
namespace {

constexpr session::SessionState kLastState = session::SessionState::Closed;

std::string spool_field(const nlohmann::ordered_json& device, const char* name) {
    if (!device.is_object() || !device.contains("spool"))
        return "-";
    return field(device["spool"], name);
}

}  // namespace

std::vector<std::string> device_states() {
    std::vector<std::string> states;
    for (int i = 0; i <= static_cast<int>(kLastState); ++i)
        states.emplace_back(session::to_string(static_cast<session::SessionState>(i)));
    states.emplace_back(kNoSessionState);
    return states;
}

std::string format_device_detail(const nlohmann::ordered_json& device) {
    std::string out;
    const auto state_since = field(device, "state_since");
    const auto spool_messages = spool_field(device, "messages");
    std::vector<Row> rows{
        {"DEVICE", field(device, "device_id")},
        {"HUB", field(device, "hub")},
        {"STATE",
         field(device, "state") + (state_since == "-" ? std::string() : " since " + state_since)},
        {"CONNECTED-SINCE", field(device, "since")},
        {"LAST-ERROR", field(device, "reason")},
        {"RETRY-AT", field(device, "backoff_until")},
        {"TOKEN-EXPIRES", field(device, "token_expiry")},
        {"SPOOL", spool_messages == "-" ? "-"
                                        : fmt::format("{} messages, {} bytes", spool_messages,
                                                      spool_field(device, "bytes"))},
        {"LAST-UPLINK", field(device, "last_uplink")},
        {"LAST-DOWNLINK", field(device, "last_downlink")},
    };
    append_table(out, rows);
    out += "\n";
    std::vector<Row> counters{{"COUNTER", "VALUE"}};
    if (device.contains("counters") && device["counters"].is_object()) {
        for (const auto& [name, value] : device["counters"].items())
            counters.push_back({name, value.is_string() ? value.get<std::string>() : value.dump()});
    }
    append_table(out, counters);
    return out;
}

nlohmann::ordered_json devices_in_state(const nlohmann::ordered_json& status,
                                        const std::optional<std::string>& state) {
    auto out = nlohmann::ordered_json::array();
    if (!status.contains("sessions") || !status["sessions"].is_array())
        return out;
    for (const auto& s : status["sessions"]) {
        if (!state || field(s, "state") == *state)
            out.push_back(s);
    }
    return out;
}

std::string format_device_lines(const nlohmann::ordered_json& status,
                                const std::optional<std::string>& state) {
    std::vector<Row> rows{{"DEVICE", "STATE", "STATE-SINCE", "SPOOL-MSGS", "SPOOL-BYTES",
                           "LAST-UPLINK", "LAST-DOWNLINK", "HUB", "REASON"}};
    for (const auto& s : devices_in_state(status, state)) {
        rows.push_back({field(s, "device_id"), field(s, "state"), field(s, "state_since"),
                        spool_field(s, "messages"), spool_field(s, "bytes"),
                        field(s, "last_uplink"), field(s, "last_downlink"), field(s, "hub"),
                        field(s, "reason")});
    }
    std::string out;
    append_table(out, rows);
    return out;
}

}  // namespace hubgate::control
