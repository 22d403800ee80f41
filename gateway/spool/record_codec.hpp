#pragma once
// The on-disk form of one spooled message.
//
//   header (12 bytes, little endian): magic "HGSP" | body length u32 | crc32(body) u32
//   body: seq u64 | enqueued unix ms i64 | device | mid | kind | topic |
//         property count u32, then name, value per property | payload |
//         source packet id u32 | source digest u64
//   where every string is a u32 length followed by its bytes.
//
// decode_* never trust their input: they are also run on torn and corrupted files.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/spool/spool_message.hpp"

namespace hubgate::spool::record {

inline constexpr std::uint32_t kMagic = 0x50534748;  // "HGSP" read as little endian
inline constexpr std::size_t kHeaderSize = 12;

// The complete record (header + body) for `message`.
std::string encode(const SpooledMessage& message);

enum class HeaderStatus {
    ok,
    incomplete,  // fewer than kHeaderSize bytes, or the body runs past the end of the input
    invalid,     // wrong magic or a body length above `max_body`
};

struct Header {
    HeaderStatus status = HeaderStatus::invalid;
    std::uint32_t body_size = 0;
    std::uint32_t crc = 0;
};

// Reads the header at the start of `bytes` and checks the body it announces fits in `bytes`.
Header decode_header(std::string_view bytes, std::uint64_t max_body);

// Decodes a body whose checksum already matched; nullopt when its fields do not add up.
std::optional<SpooledMessage> decode_body(std::string_view body);

}  // namespace hubgate::spool::record
