// The record codec: round trip, and damaged input is rejected without crashing.
#include <doctest/doctest.h>

#include <optional>
#include <random>

#include "gateway/spool/crc32.hpp"
#include "gateway/spool/record_codec.hpp"
#include "spool_test_support.hpp"

using namespace hubgate::spool;
using hubgate::spool::test::format1_record;

namespace {

SpooledMessage sample() {
    SpooledMessage message;
    message.seq = 0x0102030405060708ULL;
    message.mid = "6f1e3c1a-0000-4000-8000-000000000001";
    message.enqueued =
        std::chrono::system_clock::time_point{std::chrono::milliseconds{1700000000123}};
    message.message.device_id = "site1-line2-s3";
    message.message.kind = RecordKind::telemetry;
    message.message.properties = {{"site", "site1"}, {"$.ct", "application/json"}, {"", ""}};
    message.message.payload = std::string("{\"t\":21.5}\0binary", 17);
    return message;
}

SpooledMessage twin_get_sample() {
    SpooledMessage message = sample();
    message.message.kind = RecordKind::twin_get;
    message.message.properties.clear();
    message.message.payload.clear();
    message.message.request_id = "42";
    message.message.reply_topic = "plant/site1/twin/reply";
    return message;
}

std::optional<SpooledMessage> decode_record(std::string_view bytes) {
    const auto header = record::decode_header(bytes, 1 << 20);
    REQUIRE(header.status == record::HeaderStatus::ok);
    const std::string_view body = bytes.substr(record::kHeaderSize, header.body_size);
    REQUIRE(crc32(body) == header.crc);
    return record::decode_body(body, header.format);
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
    CHECK(header.format == 2);
    REQUIRE(record::kHeaderSize + header.body_size == bytes.size());
    const std::string_view body = std::string_view(bytes).substr(record::kHeaderSize);
    CHECK(crc32(body) == header.crc);
    // The layout on disk: magic, then the body, little-endian, starting with the seq; the kind is
    // one byte after the enqueue stamp.
    CHECK(bytes.substr(0, 4) == "HGS2");
    CHECK(bytes.substr(record::kHeaderSize, 8) ==
          std::string("\x08\x07\x06\x05\x04\x03\x02\x01", 8));
    CHECK(bytes[record::kHeaderSize + 16] == static_cast<char>(RecordKind::telemetry));
    auto decoded = record::decode_body(body);
    REQUIRE(decoded);
    CHECK(decoded->seq == original.seq);
    CHECK(decoded->mid == original.mid);
    CHECK(decoded->enqueued == original.enqueued);
    CHECK(decoded->message.device_id == original.message.device_id);
    CHECK(decoded->message.kind == original.message.kind);
    CHECK(decoded->message.properties == original.message.properties);
    CHECK(decoded->message.payload == original.message.payload);
}

TEST_CASE("a record stores its kind's fields once, and nothing of the other kinds") {
    const SpooledMessage telemetry = sample();
    const auto& m = telemetry.message;
    std::size_t properties = 4;
    for (const auto& [name, value] : m.properties) {
        properties += 8 + name.size() + value.size();
    }
    // header, seq, stamp, kind byte, device, mid, properties, payload, source: the payload's
    // bytes are in the record once, and no local topic, request id or reply topic.
    const std::size_t fixed = record::kHeaderSize + 8 + 8 + 1 + 4 + 8;
    CHECK(record::encode(telemetry).size() == fixed + 4 + m.device_id.size() + 4 +
                                                  telemetry.mid.size() + properties + 4 +
                                                  m.payload.size());

    SpooledMessage reported = sample();
    reported.message.kind = RecordKind::reported;
    reported.message.properties.clear();
    const auto reported_decoded = decode_record(record::encode(reported));
    REQUIRE(reported_decoded);
    CHECK(reported_decoded->message.kind == RecordKind::reported);
    CHECK(reported_decoded->message.payload == m.payload);

    const SpooledMessage twin_get = twin_get_sample();
    const auto twin_decoded = decode_record(record::encode(twin_get));
    REQUIRE(twin_decoded);
    CHECK(twin_decoded->message.kind == RecordKind::twin_get);
    CHECK(twin_decoded->message.request_id == "42");
    CHECK(twin_decoded->message.reply_topic == "plant/site1/twin/reply");
    CHECK(twin_decoded->message.properties.empty());
    CHECK(twin_decoded->message.payload.empty());
}

TEST_CASE("a kind byte no kind has does not decode") {
    std::string bytes = record::encode(sample());
    std::string body = bytes.substr(record::kHeaderSize);
    for (const int kind : {0, 4, 255}) {
        CAPTURE(kind);
        body[16] = static_cast<char>(kind);
        CHECK_FALSE(record::decode_body(body));
    }
}

TEST_CASE("records of format 1 (kind as a string) still decode, into the typed record") {
    const auto telemetry = decode_record(
        format1_record(7, "telemetry", {{"site", "site1"}, {"$.ct", "application/json"}}, "{}"));
    REQUIRE(telemetry);
    CHECK(telemetry->seq == 7);
    CHECK(telemetry->mid == "6f1e3c1a-0000-4000-8000-000000000007");
    CHECK(telemetry->message.device_id == "site1-line2-s3");
    CHECK(telemetry->message.kind == RecordKind::telemetry);
    CHECK(telemetry->message.properties ==
          Properties{{"site", "site1"}, {"$.ct", "application/json"}});
    CHECK(telemetry->message.payload == "{}");
    CHECK(telemetry->message.source.packet_id == 9);
    CHECK(telemetry->message.source.digest == 11);

    const auto untyped = decode_record(format1_record(7, "", {}, "x"));  // the oldest: no kind
    REQUIRE(untyped);
    CHECK(untyped->message.kind == RecordKind::telemetry);

    const auto reported = decode_record(format1_record(7, "reported", {}, R"({"fw":"1.2"})"));
    REQUIRE(reported);
    CHECK(reported->message.kind == RecordKind::reported);
    CHECK(reported->message.payload == R"({"fw":"1.2"})");

    const auto twin_get =
        decode_record(format1_record(7, "twin-get", {{"rid", "7"}, {"reply", "plant/r"}}, ""));
    REQUIRE(twin_get);
    CHECK(twin_get->message.kind == RecordKind::twin_get);
    CHECK(twin_get->message.request_id == "7");
    CHECK(twin_get->message.reply_topic == "plant/r");
    CHECK(twin_get->message.properties.empty());

    // Written by a newer hubgate of that format: sending it as telemetry could mislead the hub.
    CHECK_FALSE(decode_record(format1_record(7, "module-event", {}, "x")));
}

TEST_CASE("find_magic finds records of either format, and nothing else") {
    const std::string v2 = record::encode(sample());
    const std::string v1 = format1_record(7, "telemetry", {}, "x");
    const std::string bytes = "HGS" + std::string("HGSx") + v1 + "HG" + v2;
    const auto first = record::find_magic(bytes, 0);
    CHECK(first == 7);
    const auto second = record::find_magic(bytes, first + 1);
    CHECK(second == 7 + v1.size() + 2);
    CHECK(record::find_magic(bytes, second + 1) == std::string_view::npos);
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
