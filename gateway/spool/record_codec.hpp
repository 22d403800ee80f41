#pragma once
// The on-disk form of one spooled message.
//
//   header (12 bytes, little endian): magic | body length u32 | crc32(body) u32
//   body, format 2 (magic "HGS2", written now):
//         seq u64 | enqueued unix ms i64 | kind u8 (RecordKind) | device | mid | then by kind:
//           telemetry: property count u32, then name, value per property | payload
//           reported:  payload
//           twin_get:  request id | reply topic
//         | source packet id u32 | source digest u64
//   body, format 1 (magic "HGSP", read only: records an older hubgate left in the spool):
//         seq u64 | enqueued unix ms i64 | device | mid | kind | local topic |
//         property count u32, then name, value per property | payload |
//         source packet id u32 | source digest u64
//     where kind is "telemetry" (or ""), "reported" or "twin-get" (whose request id and reply
//     topic are the properties "rid" and "reply"); the local topic is read and dropped.
//   where every string is a u32 length followed by its bytes.
//
// decode_* never trust their input: they are also run on torn and corrupted files. A record of a
// kind this hubgate does not know does not decode (recovery treats it as damage).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/spool/spool_message.hpp"

namespace hubgate::spool::record {

inline constexpr std::uint32_t kMagic = 0x32534748;    // "HGS2" read as little endian
inline constexpr std::uint32_t kMagicV1 = 0x50534748;  // "HGSP" read as little endian
inline constexpr std::size_t kHeaderSize = 12;

// The complete record (header + body, format 2) for `message`.
std::string encode(const SpooledMessage& message);

enum class HeaderStatus {
    ok,
    incomplete,  // fewer than kHeaderSize bytes, or the body runs past the end of the input
    invalid,     // unknown magic or a body length above `max_body`
};

struct Header {
    HeaderStatus status = HeaderStatus::invalid;
    std::uint8_t format = 0;  // 1 or 2, from the magic
    std::uint32_t body_size = 0;
    std::uint32_t crc = 0;
};

// Reads the header at the start of `bytes` and checks the body it announces fits in `bytes`.
Header decode_header(std::string_view bytes, std::uint64_t max_body);

// Decodes a body of `format` whose checksum already matched; nullopt when its fields do not add
// up.
std::optional<SpooledMessage> decode_body(std::string_view body, std::uint8_t format = 2);

// A format 1 record in full, untyped: the C2D journal (gateway/core/downlink_journal.cpp)
// keeps its records in this format, with kinds of its own ("c2d", "done") and the local topic.
struct Format1Record {
    std::uint64_t seq = 0;
    std::chrono::system_clock::time_point enqueued;
    std::string device_id;
    std::string mid;
    std::string kind;
    std::string topic;
    Properties properties;
    std::string payload;
    SourceRef source;
};
// The complete record (header + body, format 1).
std::string encode_format1(const Format1Record& record);
// Decodes a format 1 body whose checksum already matched; nullopt when its fields do not add up.
std::optional<Format1Record> decode_format1(std::string_view body);

// Where the next magic of either format starts in `bytes` at or after `from`; npos when none.
std::size_t find_magic(std::string_view bytes, std::size_t from);

}  // namespace hubgate::spool::record
