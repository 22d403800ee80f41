#include "gateway/daemon/device_series.hpp"

#include <algorithm>
#include <chrono>

namespace hubgate::daemon {
namespace {

std::optional<double> unix_seconds(const std::optional<session::WallTime>& time) {
    if (!time) {
        return std::nullopt;
    }
    return std::chrono::duration<double>(time->time_since_epoch()).count();
}

// Later of two optional times.
std::optional<session::WallTime> latest(const std::optional<session::WallTime>& a,
                                        const std::optional<session::WallTime>& b) {
    if (!a) {
        return b;
    }
    if (!b) {
        return a;
    }
    return std::max(*a, *b);
}

}  // namespace

DeviceSeries::Device* DeviceSeries::admit(const std::string& device_id) {
    if (auto it = devices_.find(device_id); it != devices_.end()) {
        return &it->second;
    }
    if (devices_.size() >= limit_) {
        over_limit_.insert(device_id);
        return nullptr;
    }
    return &devices_[device_id];
}

std::vector<metrics::DeviceSample> DeviceSeries::update(
    const std::vector<session::SessionSnapshot>& sessions,
    const std::vector<spool::DeviceBacklog>& backlogs) {
    for (auto& [id, device] : devices_) {
        device.connected = false;  // set again below while a session is connected
    }
    for (const auto& session : sessions) {
        Device* device = admit(session.device_id);
        if (device == nullptr) {
            continue;
        }
        const auto& c = session.counters;
        const Counts now{c.telemetry_acked, c.telemetry_failed,
                         c.c2d_received + c.desired_received + c.methods_received,
                         c.connection_losses + c.connect_failures,
                         c.connects_throttled + c.twin_throttled};
        for (std::size_t i = 0; i < kCounters; ++i) {
            // Lower than last time: a new session counting from zero; bank the old one's.
            if (now[i] < device->last[i]) {
                device->banked[i] += device->last[i];
            }
            device->last[i] = now[i];
        }
        device->connected = session.state == session::SessionState::Connected;
        device->last_uplink = latest(device->last_uplink, session.last_uplink);
        device->last_downlink = latest(device->last_downlink, session.last_downlink);
    }
    std::map<std::string_view, const spool::DeviceBacklog*> spooled;
    for (const auto& backlog : backlogs) {
        if (admit(backlog.device_id) != nullptr) {
            spooled.emplace(backlog.device_id, &backlog);
        }
    }

    std::vector<metrics::DeviceSample> samples;
    samples.reserve(devices_.size());
    for (const auto& [id, device] : devices_) {
        metrics::DeviceSample sample;
        sample.device_id = id;
        sample.connected = device.connected;
        sample.telemetry_acked = device.banked[0] + device.last[0];
        sample.telemetry_failed = device.banked[1] + device.last[1];
        sample.downlinks = device.banked[2] + device.last[2];
        sample.reconnects = device.banked[3] + device.last[3];
        sample.throttle_hits = device.banked[4] + device.last[4];
        if (const auto it = spooled.find(id); it != spooled.end()) {
            sample.spool_messages = it->second->messages;
            sample.spool_bytes = it->second->bytes;
        }
        sample.last_uplink_seconds = unix_seconds(device.last_uplink);
        sample.last_downlink_seconds = unix_seconds(device.last_downlink);
        samples.push_back(std::move(sample));
    }
    return samples;
}

}  // namespace hubgate::daemon
