#include "gateway/spool/message_id.hpp"

#include <openssl/rand.h>

#include <array>
#include <cstdint>
#include <random>

namespace hubgate::spool {
namespace {

// Fallback when OpenSSL's generator fails (it practically never does): still random, still unique
// with overwhelming probability.
void fallback_random(std::array<std::uint8_t, 16>& bytes) {
    thread_local std::mt19937_64 engine{[] {
        std::random_device device;
        std::seed_seq seed{device(), device(), device(), device()};
        return std::mt19937_64{seed};
    }()};
    for (auto& byte : bytes) {
        byte = static_cast<std::uint8_t>(engine());
    }
}

}  // namespace

std::string new_message_id() {
    std::array<std::uint8_t, 16> bytes{};
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
        fallback_random(bytes);
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
