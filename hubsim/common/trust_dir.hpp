#pragma once
// The folder of certificates hubsim's client-certificate listeners trust (mosquitto's `capath`):
// one file per certificate, named by OpenSSL's subject-name hash ("1a2b3c4d.0"), which OpenSSL
// looks up at each handshake. A certificate added while mosquitto runs (an enrollment group
// created through the REST API) is trusted from the next handshake on, without a restart.

#include <filesystem>
#include <string>

namespace hubsim {

// Adds every certificate of `pem` to `dir` (created if missing), skipping one already there.
// Returns how many certificates `pem` held. Throws std::runtime_error when a file cannot be
// written.
int add_to_trust_dir(const std::filesystem::path& dir, const std::string& pem);

}  // namespace hubsim
