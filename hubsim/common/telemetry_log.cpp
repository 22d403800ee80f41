// The bounded telemetry record with long-poll reads.
#include "hubsim/common/telemetry_log.hpp"

#include <algorithm>

#include "hubgate/iothub/encoding.hpp"

namespace hubsim {

namespace {

bool is_valid_utf8(const std::string& text) {
    try {
        (void)nlohmann::json(text).dump();
        return true;
    } catch (const nlohmann::json::type_error&) {
        return false;
    }
}

std::string iso8601(std::chrono::system_clock::time_point time) {
    auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
    std::time_t seconds = static_cast<std::time_t>(ms / 1000);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char buffer[40];
    std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &utc);
    char out[48];
    std::snprintf(out, sizeof out, "%s.%03dZ", buffer, static_cast<int>(ms % 1000));
    return out;
}

}  // namespace

nlohmann::json to_json(const TelemetryRecord& record) {
    nlohmann::json out{{"sequence", record.sequence},
                       {"deviceId", record.device_id},
                       {"properties", record.properties.application},
                       {"systemProperties", record.properties.system},
                       {"enqueuedTime", iso8601(record.enqueued)}};
    if (is_valid_utf8(record.payload)) {
        out["payload"] = record.payload;
    } else {
        out["payloadBase64"] = hubgate::iothub::base64_encode(record.payload);
    }
    return out;
}

uint64_t TelemetryLog::append(TelemetryRecord record) {
    uint64_t sequence = 0;
    {
        std::lock_guard lock(mutex_);
        sequence = ++last_sequence_;
        record.sequence = sequence;
        records_.push_back(std::move(record));
        while (records_.size() > capacity_)
            records_.pop_front();
    }
    appended_.notify_all();
    return sequence;
}

std::vector<TelemetryRecord> TelemetryLog::matching(
    uint64_t after, const std::optional<std::string>& device) const {
    std::vector<TelemetryRecord> out;
    // Sequences are ascending: skip straight to the first one after `after`.
    auto first = std::upper_bound(
        records_.begin(), records_.end(), after,
        [](uint64_t value, const TelemetryRecord& r) { return value < r.sequence; });
    for (auto it = first; it != records_.end(); ++it) {
        if (!device || it->device_id == *device)
            out.push_back(*it);
    }
    return out;
}

TelemetryLog::Page TelemetryLog::read_after(uint64_t after, std::chrono::milliseconds wait,
                                            const std::optional<std::string>& device) const {
    std::unique_lock lock(mutex_);
    auto deadline = std::chrono::steady_clock::now() + wait;
    Page page;
    while (true) {
        page.records = matching(after, device);
        if (!page.records.empty() || closed_)
            break;
        if (appended_.wait_until(lock, deadline) == std::cv_status::timeout) {
            page.records = matching(after, device);
            break;
        }
    }
    page.last = last_sequence_;
    return page;
}

void TelemetryLog::close() {
    {
        std::lock_guard lock(mutex_);
        closed_ = true;
    }
    appended_.notify_all();
}

}  // namespace hubsim
