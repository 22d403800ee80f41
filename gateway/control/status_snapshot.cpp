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

namespace {

nlohmann::ordered_json session_json(const SessionStatus& s) {
    return {{"device_id", s.device_id},
            {"state", s.state},
            {"since", time_or_null(s.since)},
            {"backoff_until", time_or_null(s.backoff_until)},
            {"reason", s.reason},
            {"token_expiry", time_or_null(s.token_expiry)},
            {"state_since", time_or_null(s.state_since)},
            {"last_uplink", time_or_null(s.last_uplink)},
            {"last_downlink", time_or_null(s.last_downlink)},
            {"spool", {{"messages", s.spool_messages}, {"bytes", s.spool_bytes}}},
            {"hub", s.hub}};
}

nlohmann::ordered_json provisioning_json(const ProvisioningStatus& p) {
    return {{"device_id", p.device_id}, {"state", p.state},
            {"message", p.message},     {"assigned_hub", p.assigned_hub},
            {"attempts", p.attempts},   {"updated", time_or_null(p.updated)}};
}

}  // namespace

nlohmann::ordered_json to_json(const StatusSnapshot& snapshot) {
    nlohmann::ordered_json sessions = nlohmann::ordered_json::array();
    for (const auto& s : snapshot.sessions) {
        sessions.push_back(session_json(s));
    }
    nlohmann::ordered_json counters = nlohmann::ordered_json::object();
    for (const auto& [name, value] : snapshot.counters)
        counters[name] = value;
    nlohmann::ordered_json out = {
        {"version", kStatusFormatVersion}, {"sessions", sessions}, {"counters", counters}};
    if (snapshot.provisioning) {
        nlohmann::ordered_json devices = nlohmann::ordered_json::array();
        for (const auto& p : *snapshot.provisioning) {
            devices.push_back(provisioning_json(p));
        }
        out["provisioning"] = std::move(devices);
    }
    return out;
}

nlohmann::ordered_json to_provisioning_json(const ProvisioningStatus& device) {
    return {{"version", kStatusFormatVersion}, {"provisioning", provisioning_json(device)}};
}

nlohmann::ordered_json to_device_json(const SessionStatus& session) {
    auto device = session_json(session);
    nlohmann::ordered_json counters = nlohmann::ordered_json::object();
    for (const auto& [name, value] : session.counters)
        counters[name] = value;
    device["counters"] = std::move(counters);
    return {{"version", kStatusFormatVersion}, {"device", std::move(device)}};
}

}  // namespace hubgate::control
