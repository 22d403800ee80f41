// The record codec: round trip, and damaged input is rejected without crashing.
#include <doctest/doctest.h>

#include <random>

#include "gateway/spool/crc32.hpp"
#include "gateway/spool/record_codec.hpp"

using namespace hubgate::spool;

namespace {

SpooledMessage sample() {
    SpooledMessage message;
    message.seq = 0x0102030405060708ULL;
    message.mid = "6f1e3c1a-0000-4000-8000-000000000001";
    message.enqueued =
        std::chrono::system_clock::time_point{std::chrono::milliseconds{1700000000123}};
    message.message.device_id = "site1-line2-s3";
    message.message.kind = "telemetry";
    message.message.topic = "plant/site1/line2/s3/telemetry";
    message.message.properties = {{"site", "site1"}, {"$.ct", "application/json"}, {"", ""}};
    message.message.payload = std::string("{\"t\":21.5}\0binary", 17);
    return message;
}

}  // namespace

TEST_CASE("crc32 matches the standard check value") {
    CHECK(crc32("123456789") == 0xCBF43926U);
    CHECK(crc32("") == 0U);
}

TEST_CASE("crc32 agrees with a bit-at-a-time CRC at every length and when chained") {
    const auto bitwise = [](std::string_view bytes) {
        std::uint32_t crc = 0xFFFFFFFFU;
        for (const unsigned char byte : bytes) {
            crc ^= byte;
            for (int bit = 0; bit < 8; ++bit) {
                crc = (crc & 1U) != 0 ? 0xEDB88320U ^ (crc >> 1) : crc >> 1;
            }
        }
        return ~crc;
    };
    std::string bytes;
    for (int i = 0; i < 100; ++i) {
        CAPTURE(i);
        CHECK(crc32(bytes) == bitwise(bytes));
        const auto half = bytes.size() / 2;
        CHECK(crc32(std::string_view(bytes).substr(half),
                    crc32(std::string_view(bytes).substr(0, half))) == bitwise(bytes));
        bytes.push_back(static_cast<char>(i * 37 + 11));
    }
}

TEST_CASE("a record decodes to exactly what was encoded") {
    const SpooledMessage original = sample();
    const std::string bytes = record::encode(original);
    const auto header = record::decode_header(bytes, 1 << 20);
    REQUIRE(header.status == record::HeaderStatus::ok);
    REQUIRE(record::kHeaderSize + header.body_size == bytes.size());
    const std::string_view body = std::string_view(bytes).substr(record::kHeaderSize);
    CHECK(crc32(body) == header.crc);
    // The layout on disk, which spools written by older versions share: magic, then the body,
    // little-endian, starting with the seq.
    CHECK(bytes.substr(0, 4) == "HGSP");
    CHECK(bytes.substr(record::kHeaderSize, 8) ==
          std::string("\x08\x07\x06\x05\x04\x03\x02\x01", 8));
    auto decoded = record::decode_body(body);
    REQUIRE(decoded);
    CHECK(decoded->seq == original.seq);
    CHECK(decoded->mid == original.mid);
    CHECK(decoded->enqueued == original.enqueued);
    CHECK(decoded->message.device_id == original.message.device_id);
    CHECK(decoded->message.kind == original.message.kind);
    CHECK(decoded->message.topic == original.message.topic);
    CHECK(decoded->message.properties == original.message.properties);
    CHECK(decoded->message.payload == original.message.payload);
}

TEST_CASE("headers: short input is incomplete, wrong magic or huge length is invalid") {
    const std::string bytes = record::encode(sample());
    for (std::size_t n = 0; n < bytes.size(); ++n) {
        CAPTURE(n);
        CHECK(record::decode_header(std::string_view(bytes).substr(0, n), 1 << 20).status ==
              record::HeaderStatus::incomplete);
    }
    std::string bad_magic = bytes;
    bad_magic[0] = 'X';
    CHECK(record::decode_header(bad_magic, 1 << 20).status == record::HeaderStatus::invalid);
    CHECK(record::decode_header(bytes, 10).status == record::HeaderStatus::invalid);
}

TEST_CASE("a body whose enqueue stamp the clock cannot represent is rejected") {
    const std::string bytes = record::encode(sample());
    std::string body = bytes.substr(record::kHeaderSize);
    for (int i = 8; i < 16; ++i) {  // the enqueue time follows the 8-byte seq
        body[static_cast<std::size_t>(i)] = '\x7f';
    }
    CHECK_FALSE(record::decode_body(body));
}

TEST_CASE("every truncation and random garbage of a body is rejected, never a crash") {
    const std::string bytes = record::encode(sample());
    const std::string body = bytes.substr(record::kHeaderSize);
    for (std::size_t n = 0; n < body.size(); ++n) {
        CHECK_FALSE(record::decode_body(std::string_view(body).substr(0, n)));
    }
    CHECK_FALSE(record::decode_body(body + "x"));  // trailing bytes
    std::mt19937 random(7);
    for (int round = 0; round < 2000; ++round) {
        std::string garbage = body;
        garbage[random() % garbage.size()] = static_cast<char>(random());
        garbage[random() % garbage.size()] = static_cast<char>(random());
        (void)record::decode_body(garbage);  // may decode or not; must not crash or overread
    }
}
