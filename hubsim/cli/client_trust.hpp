#pragma once
// The trust folder of the client-certificate listeners (hub and DPS): mosquitto verifies every
// device certificate against it before the plugin sees the CONNECT.

#include <filesystem>
#include <vector>

namespace hubsim::cli {

// Fills `dir` afresh (trust_dir.hpp): hubsim's own CA (certificates it issued reach the plugin,
// which refuses them unless their thumbprint is registered), then every certificate of the
// `trusted` files (registered CAs, self-signed device certificates, enrollment groups' signing
// certificates). Throws std::runtime_error naming a file that cannot be read or holds no
// certificate.
void prepare_client_trust_dir(const std::filesystem::path& dir, const std::filesystem::path& hub_ca,
                              const std::vector<std::filesystem::path>& trusted);

}  // namespace hubsim::cli
