#pragma once
// Shared helpers of the spool unit tests: options for a scratch dir, a settable clock, messages.

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "gateway/spool/spool.hpp"

namespace hubgate::spool::test {

// Clocks the test moves by hand (for TTL): the wall clock, and the monotonic one that measures
// message age. advance() moves both, as time passing does; a clock step moves only `now`.
struct FakeClock {
    std::chrono::system_clock::time_point now{std::chrono::hours{24 * 365 * 50}};
    std::chrono::steady_clock::time_point monotonic{std::chrono::hours{1}};

    void advance(std::chrono::steady_clock::duration by) {
        now += std::chrono::duration_cast<std::chrono::system_clock::duration>(by);
        monotonic += by;
    }
};

inline SpoolOptions options_for(const std::filesystem::path& dir,
                                std::shared_ptr<FakeClock> clock = nullptr) {
    SpoolOptions options;
    options.dir = dir;
    options.max_bytes = 1 << 20;
    options.segment_bytes = 64 << 10;
    options.max_record_bytes = 16 << 10;
    options.window = 3;
    options.ttl = std::chrono::seconds{0};
    if (clock) {
        options.clock = [clock] { return clock->now; };
        options.monotonic = [clock] { return clock->monotonic; };
    }
    return options;
}

inline SpoolMessage message_for(const std::string& device, int n, std::size_t payload_size = 0) {
    SpoolMessage message;
    message.device_id = device;
    message.kind = "telemetry";
    message.topic = "plant/" + device + "/telemetry";
    message.properties = {{"n", std::to_string(n)}, {"$.ct", "application/json"}};
    message.payload = "{\"n\":" + std::to_string(n) + "}";
    if (payload_size > message.payload.size()) {
        message.payload.resize(payload_size, 'x');
    }
    return message;
}

inline std::unique_ptr<Spool> open_or_fail(const SpoolOptions& options) {
    std::string error;
    auto spool = Spool::open(options, error);
    if (!spool) {
        throw std::runtime_error("spool open failed: " + error);
    }
    return spool;
}

inline std::size_t count_segments(const std::filesystem::path& dir) {
    std::size_t count = 0;
    for (const auto& item : std::filesystem::directory_iterator(dir)) {
        if (item.path().extension() == ".seg") {
            ++count;
        }
    }
    return count;
}

}  // namespace hubgate::spool::test
