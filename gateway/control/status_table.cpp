#include "gateway/control/status_table.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <vector>

namespace hubgate::control {

std::string field(const nlohmann::ordered_json& object, const char* name) {
    if (!object.is_object() || !object.contains(name))
        return "-";
    const auto& value = object[name];
    if (value.is_null() || (value.is_string() && value.get<std::string>().empty()))
        return "-";
    return value.is_string() ? value.get<std::string>() : value.dump();
}

void append_table(std::string& out, const std::vector<Row>& rows) {
    if (rows.empty())
        return;
    std::vector<std::size_t> widths(rows.front().size(), 0);
    for (const auto& row : rows) {
        for (std::size_t i = 0; i < row.size(); ++i)
            widths[i] = std::max(widths[i], row[i].size());
    }
    for (const auto& row : rows) {
        std::string line;
        for (std::size_t i = 0; i < row.size(); ++i) {
            line += i + 1 == row.size() ? row[i] : fmt::format("{:<{}}  ", row[i], widths[i]);
        }
        out += line + "\n";
    }
}

std::string format_status_table(const nlohmann::ordered_json& status) {
    std::string out;
    std::vector<Row> sessions{{"DEVICE", "STATE", "SINCE", "RETRY-AT", "TOKEN-EXPIRES", "REASON"}};
    std::map<std::string, std::size_t> by_state;
    const auto empty = nlohmann::ordered_json::array();
    const auto& list =
        status.contains("sessions") && status["sessions"].is_array() ? status["sessions"] : empty;
    for (const auto& s : list) {
        sessions.push_back({field(s, "device_id"), field(s, "state"), field(s, "since"),
                            field(s, "backoff_until"), field(s, "token_expiry"),
                            field(s, "reason")});
        ++by_state[field(s, "state")];
    }
    append_table(out, sessions);
    std::string summary = fmt::format("{} session{}", list.size(), list.size() == 1 ? "" : "s");
    const char* separator = ": ";
    for (const auto& [state, count] : by_state) {
        summary += fmt::format("{}{} {}", separator, count, state);
        separator = ", ";
    }
    out += summary + "\n\n";

    if (status.contains("provisioning") && status["provisioning"].is_array()) {
        std::vector<Row> devices{
            {"PROVISIONING", "STATE", "HUB", "ATTEMPTS", "UPDATED", "MESSAGE"}};
        for (const auto& p : status["provisioning"]) {
            devices.push_back({field(p, "device_id"), field(p, "state"), field(p, "assigned_hub"),
                               field(p, "attempts"), field(p, "updated"), field(p, "message")});
        }
        append_table(out, devices);
        out += "\n";
    }

    std::vector<Row> counters{{"COUNTER", "VALUE"}};
    if (status.contains("counters") && status["counters"].is_object()) {
        for (const auto& [name, value] : status["counters"].items())
            counters.push_back({name, value.is_string() ? value.get<std::string>() : value.dump()});
    }
    append_table(out, counters);
    return out;
}

}  // namespace hubgate::control
