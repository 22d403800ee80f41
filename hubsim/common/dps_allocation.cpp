#include "hubsim/common/dps_allocation.hpp"

#include <openssl/evp.h>

#include <cstdint>
#include <stdexcept>

namespace hubsim {

namespace {

uint64_t hash_prefix(std::string_view text) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr) != 1 ||
        length < 8)
        throw std::runtime_error("SHA-256 failed");
    uint64_t value = 0;
    for (int i = 0; i < 8; ++i)
        value = (value << 8) | digest[i];
    return value;
}

}  // namespace

std::string allocate_hub(const EnrollmentGroup& group, std::string_view registration_id,
                         const std::string& default_hub) {
    if (group.iot_hubs.empty())
        return default_hub;
    if (group.allocation_policy == "static" || group.iot_hubs.size() == 1)
        return group.iot_hubs.front();
    return group.iot_hubs[hash_prefix(registration_id) % group.iot_hubs.size()];
}

}  // namespace hubsim
