#include "gateway/control/status_snapshot.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

namespace hubgate::control {
namespace {

nlohmann::ordered_json time_or_null(const std::optional<WallTime>& time) {
    return time ? nlohmann::ordered_json(format_utc(*time)) : nlohmann::ordered_json(nullptr);
}

}  // namespace

std::string format_utc(WallTime time) {
    return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}",
                       std::chrono::time_point_cast<std::chrono::seconds>(time));
}

nlohmann::ordered_json to_json(const StatusSnapshot& snapshot) {
    nlohmann::ordered_json sessions = nlohmann::ordered_json::array();
    for (const auto& s : snapshot.sessions) {
        sessions.push_back({{"device_id", s.device_id},
                            {"state", s.state},
                            {"since", time_or_null(s.since)},
                            {"backoff_until", time_or_null(s.backoff_until)},
                            {"reason", s.reason},
                            {"token_expiry", time_or_null(s.token_expiry)}});
    }
    nlohmann::ordered_json counters = nlohmann::ordered_json::object();
    for (const auto& [name, value] : snapshot.counters)
        counters[name] = value;
    nlohmann::ordered_json out = {
        {"version", kStatusFormatVersion}, {"sessions", sessions}, {"counters", counters}};
    if (snapshot.provisioning) {
        nlohmann::ordered_json devices = nlohmann::ordered_json::array();
        for (const auto& p : *snapshot.provisioning) {
            devices.push_back({{"device_id", p.device_id},
                               {"state", p.state},
                               {"message", p.message},
                               {"assigned_hub", p.assigned_hub},
                               {"attempts", p.attempts},
                               {"updated", time_or_null(p.updated)}});
        }
        out["provisioning"] = std::move(devices);
    }
    return out;
}

}  // namespace hubgate::control
