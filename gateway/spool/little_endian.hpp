#pragma once
// Fixed-width little-endian integers: the byte order of every spool file (records, acks.log,
// sources.log, the clock file). One copy, so no reader and writer of a file can disagree.
#include <cstddef>
#include <cstdint>
#include <string>

namespace hubgate::spool {

// The `width` (1..8) low bytes of a value at `bytes`.
inline std::uint64_t load_le(const char* bytes, std::size_t width) {
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < width; ++i) {
        value |= std::uint64_t{static_cast<unsigned char>(bytes[i])} << (8 * i);
    }
    return value;
}

inline void store_le(char* at, std::uint64_t value, std::size_t width) {
    for (std::size_t i = 0; i < width; ++i) {
        at[i] = static_cast<char>((value >> (8 * i)) & 0xFFU);
    }
}

// Whole fields at a time: a byte-wise push_back was ~800 instructions per record.
inline void append_le(std::string& out, std::uint64_t value, std::size_t width) {
    char bytes[8];
    store_le(bytes, value, width);
    out.append(bytes, width);
}

}  // namespace hubgate::spool
