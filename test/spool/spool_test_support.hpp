#pragma once
// Shared helpers of the spool unit tests: options for a scratch dir, a settable clock, messages.

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "gateway/spool/crc32.hpp"
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
    message.kind = RecordKind::telemetry;
    message.properties = {{"n", std::to_string(n)}, {"$.ct", "application/json"}};
    message.payload = "{\"n\":" + std::to_string(n) + "}";
    if (payload_size > message.payload.size()) {
        message.payload.resize(payload_size, 'x');
    }
    return message;
}

// A format 1 record as hubgate wrote it before the kind became a byte (record_codec.hpp): the
// kind a string, the local topic stored, a twin GET's request id and reply topic in its
// properties. Device "site1-line2-s3", source {9, 11}.
inline std::string format1_record(std::uint64_t seq, std::string_view kind,
                                  const Properties& properties, std::string_view payload) {
    std::string body;
    const auto u32 = [](std::string& out, std::uint32_t value) {
        for (int i = 0; i < 4; ++i) {
            out.push_back(static_cast<char>(value >> (8 * i)));
        }
    };
    const auto u64 = [&body](std::uint64_t value) {
        for (int i = 0; i < 8; ++i) {
            body.push_back(static_cast<char>(value >> (8 * i)));
        }
    };
    const auto text = [&](std::string_view value) {
        u32(body, static_cast<std::uint32_t>(value.size()));
        body.append(value);
    };
    u64(seq);
    u64(1700000000123);  // enqueued, unix ms
    text("site1-line2-s3");
    text("6f1e3c1a-0000-4000-8000-00000000000" + std::to_string(seq % 10));
    text(kind);
    text("plant/site1/line2/s3/telemetry");
    u32(body, static_cast<std::uint32_t>(properties.size()));
    for (const auto& [name, value] : properties) {
        text(name);
        text(value);
    }
    text(payload);
    u32(body, 9);  // source packet id
    u64(11);       // source digest
    std::string record = "HGSP";
    u32(record, static_cast<std::uint32_t>(body.size()));
    u32(record, crc32(body));
    return record + body;
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
