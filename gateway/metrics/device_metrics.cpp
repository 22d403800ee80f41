#include "gateway/metrics/device_metrics.hpp"

namespace hubgate::metrics {
namespace {

// One family with one sample per device, read by `value` (nullopt: no sample for that device).
template <typename Read>
void per_device(TextExposition& out, std::string_view name, std::string_view help, MetricType type,
                const std::vector<DeviceSample>& devices, Read value) {
    out.family(name, help, type);
    for (const auto& device : devices) {
        if (const std::optional<double> v = value(device))
            out.sample(name, {{"device", device.device_id}}, *v);
    }
}

std::optional<double> number(std::uint64_t value) {
    return static_cast<double>(value);
}

}  // namespace

void write_device_metrics(TextExposition& out, const std::vector<DeviceSample>& devices,
                          std::uint64_t devices_over_limit) {
    per_device(out, "hubgate_device_up", "1 while the device's session is connected to IoT Hub.",
               MetricType::Gauge, devices,
               [](const DeviceSample& d) { return number(d.connected); });
    per_device(out, "hubgate_device_telemetry_acked_total",
               "The device's telemetry messages IoT Hub acknowledged.", MetricType::Counter,
               devices, [](const DeviceSample& d) { return number(d.telemetry_acked); });
    per_device(out, "hubgate_device_telemetry_failed_total",
               "The device's telemetry messages not delivered on the first try (sent again).",
               MetricType::Counter, devices,
               [](const DeviceSample& d) { return number(d.telemetry_failed); });
    per_device(
        out, "hubgate_device_downlinks_total",
        "C2D messages, desired-property documents and patches, and method calls IoT Hub sent "
        "the device.",
        MetricType::Counter, devices, [](const DeviceSample& d) { return number(d.downlinks); });
    per_device(out, "hubgate_device_reconnects_total",
               "The device's lost connections and failed connects.", MetricType::Counter, devices,
               [](const DeviceSample& d) { return number(d.reconnects); });
    per_device(out, "hubgate_device_throttle_hits_total",
               "Times IoT Hub throttled the device's connects or twin operations.",
               MetricType::Counter, devices,
               [](const DeviceSample& d) { return number(d.throttle_hits); });
    per_device(out, "hubgate_device_spool_messages",
               "The device's messages in the spool not yet acknowledged or dropped.",
               MetricType::Gauge, devices,
               [](const DeviceSample& d) { return number(d.spool_messages); });
    per_device(out, "hubgate_device_spool_bytes", "Bytes of the device's messages in the spool.",
               MetricType::Gauge, devices,
               [](const DeviceSample& d) { return number(d.spool_bytes); });
    per_device(out, "hubgate_device_last_uplink_timestamp_seconds",
               "When IoT Hub last took the device's telemetry or reported patch (Unix time).",
               MetricType::Gauge, devices,
               [](const DeviceSample& d) { return d.last_uplink_seconds; });
    per_device(out, "hubgate_device_last_downlink_timestamp_seconds",
               "When IoT Hub last sent the device a C2D message, desired patch or method call "
               "(Unix time).",
               MetricType::Gauge, devices,
               [](const DeviceSample& d) { return d.last_downlink_seconds; });
    out.family("hubgate_devices_over_limit",
               "Devices seen without per-device series: metrics.per_device_limit was reached.",
               MetricType::Gauge);
    out.sample("hubgate_devices_over_limit", {}, static_cast<double>(devices_over_limit));
}

}  // namespace hubgate::metrics
