#pragma once
// The opt-in per-device series (metrics.per_device): a few hubgate_device_* families labelled
// by device, and hubgate_devices_over_limit for the devices the cap left without series.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gateway/metrics/text_format.hpp"

namespace hubgate::metrics {

// One device's numbers at one moment. Counters never go down across the device's sessions.
struct DeviceSample {
    std::string device_id;
    bool connected = false;
    std::uint64_t telemetry_acked = 0;
    std::uint64_t telemetry_failed = 0;
    std::uint64_t downlinks = 0;      // C2D messages, desired documents and patches, method calls
    std::uint64_t reconnects = 0;     // lost connections and failed connects
    std::uint64_t throttle_hits = 0;  // CONNACK 3 and twin 429 answers
    std::uint64_t spool_messages = 0;
    std::uint64_t spool_bytes = 0;
    std::optional<double> last_uplink_seconds;  // Unix time the hub last took an uplink
    std::optional<double> last_downlink_seconds;
};

// Writes the hubgate_device_* families (each with every device's sample; the timestamps only
// for devices that have one) and hubgate_devices_over_limit.
void write_device_metrics(TextExposition& out, const std::vector<DeviceSample>& devices,
                          std::uint64_t devices_over_limit);

}  // namespace hubgate::metrics
