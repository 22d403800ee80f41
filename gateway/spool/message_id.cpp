#include "gateway/spool/message_id.hpp"

#include <openssl/rand.h>

#include <array>
#include <cstdint>
#include <random>

namespace hubgate::spool {
namespace {

// A per-thread generator seeded once from OpenSSL's (random_device if that fails): ids must be
// unique, not secret, and a call to RAND_bytes per message was about 5% of the instructions of
// forwarding one.
std::mt19937_64 seeded_engine() {
    std::array<std::uint32_t, 8> seed_words{};
    if (RAND_bytes(reinterpret_cast<unsigned char*>(seed_words.data()),
                   static_cast<int>(sizeof seed_words)) != 1) {
        std::random_device device;
        for (auto& word : seed_words) {
            word = device();
        }
    }
    std::seed_seq seed(seed_words.begin(), seed_words.end());
    return std::mt19937_64{seed};
}

}  // namespace

std::string new_message_id() {
    thread_local std::mt19937_64 engine = seeded_engine();
    std::array<std::uint8_t, 16> bytes{};
    for (std::size_t i = 0; i < bytes.size(); i += 8) {
        std::uint64_t word = engine();
        for (std::size_t j = 0; j < 8; ++j, word >>= 8) {
            bytes[i + j] = static_cast<std::uint8_t>(word);
        }
    }
    bytes[6] = static_cast<std::uint8_t>((bytes[6] & 0x0FU) | 0x40U);  // version 4
    bytes[8] = static_cast<std::uint8_t>((bytes[8] & 0x3FU) | 0x80U);  // RFC 4122 variant
    static constexpr char kHex[] = "0123456789abcdef";
    std::string id;
    id.reserve(36);
    for (size_t i = 0; i < bytes.size(); ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            id.push_back('-');
        }
        id.push_back(kHex[bytes[i] >> 4]);
        id.push_back(kHex[bytes[i] & 0x0FU]);
    }
    return id;
}

}  // namespace hubgate::spool
