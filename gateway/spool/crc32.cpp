#include "gateway/spool/crc32.hpp"

#include <array>

namespace hubgate::spool {
namespace {

constexpr std::array<std::uint32_t, 256> make_table() {
    std::array<std::uint32_t, 256> table{};
    for (std::uint32_t i = 0; i < 256; ++i) {
        std::uint32_t c = i;
        for (int bit = 0; bit < 8; ++bit) {
            c = (c & 1U) != 0 ? 0xEDB88320U ^ (c >> 1) : c >> 1;
        }
        table[i] = c;
    }
    return table;
}

constexpr auto kTable = make_table();

}  // namespace

std::uint32_t crc32(std::string_view bytes, std::uint32_t crc) {
    crc = ~crc;
    for (unsigned char byte : bytes) {
        crc = kTable[(crc ^ byte) & 0xFFU] ^ (crc >> 8);
    }
    return ~crc;
}

}  // namespace hubgate::spool
