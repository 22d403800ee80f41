#pragma once
// CRC-32 (IEEE 802.3, the zlib/PNG polynomial) for spool record and ack-log checksums.

#include <cstdint>
#include <string_view>

namespace hubgate::spool {

std::uint32_t crc32(std::string_view bytes, std::uint32_t crc = 0);

}  // namespace hubgate::spool
