#pragma once
// The device-keys file of auth.mode = "device-keys": a TOML table of `"device id" = "base64 key"`.
// Loaded by the sessions and checked by `hubgate check`; diagnostics never contain a key.

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "gateway/config/config.hpp"

namespace hubgate::config {

// Device id -> base64 key, and every problem found in the file (file:line:col of that file).
struct DeviceKeys {
    std::map<std::string, std::string> keys;
    std::vector<Diagnostic> diagnostics;
    bool ok() const { return diagnostics.empty(); }
};

// Checks the file is a secret file (secret_file.hpp), valid TOML, and that every entry pairs a
// valid IoT Hub device id with a non-empty base64 string.
DeviceKeys load_device_keys(const std::filesystem::path& file);

// IoT Hub's rule: 1 to 128 ASCII letters, digits and - . % _ * ? ! ( ) , : = @ $ '
bool is_valid_device_id(std::string_view id);

}  // namespace hubgate::config
