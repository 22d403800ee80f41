#pragma once
// Recorded device-to-cloud messages, numbered by a sequence, bounded in memory (oldest dropped),
// readable with a long poll ("everything after N, waiting up to W for at least one").

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hubsim/common/property_bag.hpp"

namespace hubsim {

// One telemetry message as the hub received it.
struct TelemetryRecord {
    uint64_t sequence = 0;
    std::string device_id;
    std::string payload;
    PropertyBag properties;
    std::chrono::system_clock::time_point enqueued;
};

// {"sequence","deviceId","payload" or
// "payloadBase64","properties","systemProperties","enqueuedTime"}
nlohmann::json to_json(const TelemetryRecord& record);

// Thread-safe: the broker thread appends, HTTPS threads read.
class TelemetryLog {
  public:
    explicit TelemetryLog(size_t capacity = 100000) : capacity_(capacity) {}

    // Assigns the sequence number and stores the record; returns the sequence.
    uint64_t append(TelemetryRecord record);

    struct Page {
        std::vector<TelemetryRecord> records;
        uint64_t last = 0;  // the highest sequence assigned so far
    };
    // Records with sequence > after (for one device when given); waits up to `wait` for one.
    Page read_after(uint64_t after, std::chrono::milliseconds wait,
                    const std::optional<std::string>& device) const;
    // Wakes waiting readers (used at shutdown).
    void close();

  private:
    std::vector<TelemetryRecord> matching(uint64_t after,
                                          const std::optional<std::string>& device) const;

    size_t capacity_;
    mutable std::mutex mutex_;
    mutable std::condition_variable appended_;
    std::deque<TelemetryRecord> records_;
    uint64_t last_sequence_ = 0;
    bool closed_ = false;
};

}  // namespace hubsim
