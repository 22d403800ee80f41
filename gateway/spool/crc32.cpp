#include "gateway/spool/crc32.hpp"

#include <array>

namespace hubgate::spool {
namespace {

using Table = std::array<std::uint32_t, 256>;

// Slicing-by-8: kTables[0] is the classic byte table; kTables[k] advances a byte's
// contribution by k more zero bytes, so that eight bytes are folded in per step. A byte at a
// time was ~4% of hubgate's CPU per forwarded message (every record is checked when written
// and when read back).
constexpr std::array<Table, 8> make_tables() {
    std::array<Table, 8> tables{};
    for (std::uint32_t i = 0; i < 256; ++i) {
        std::uint32_t c = i;
        for (int bit = 0; bit < 8; ++bit) {
            c = (c & 1U) != 0 ? 0xEDB88320U ^ (c >> 1) : c >> 1;
        }
        tables[0][i] = c;
    }
    for (std::size_t k = 1; k < tables.size(); ++k) {
        for (std::uint32_t i = 0; i < 256; ++i) {
            const std::uint32_t previous = tables[k - 1][i];
            tables[k][i] = (previous >> 8) ^ tables[0][previous & 0xFFU];
        }
    }
    return tables;
}

constexpr auto kTables = make_tables();

// Little-endian load whatever the host (compilers turn it into one load on x86).
std::uint32_t load_le32(const unsigned char* p) {
    return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
           static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}

}  // namespace

std::uint32_t crc32(std::string_view bytes, std::uint32_t crc) {
    crc = ~crc;
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
    std::size_t left = bytes.size();
    for (; left >= 8; left -= 8, p += 8) {
        const std::uint32_t low = load_le32(p) ^ crc;
        const std::uint32_t high = load_le32(p + 4);
        crc = kTables[7][low & 0xFFU] ^ kTables[6][(low >> 8) & 0xFFU] ^
              kTables[5][(low >> 16) & 0xFFU] ^ kTables[4][low >> 24] ^ kTables[3][high & 0xFFU] ^
              kTables[2][(high >> 8) & 0xFFU] ^ kTables[1][(high >> 16) & 0xFFU] ^
              kTables[0][high >> 24];
    }
    for (; left > 0; --left, ++p) {
        crc = kTables[0][(crc ^ *p) & 0xFFU] ^ (crc >> 8);
    }
    return ~crc;
}

}  // namespace hubgate::spool
