#pragma once
// The rule every file holding a secret (policy key, device keys, local broker password, TLS
// private key) must pass: a regular file that neither group nor others may read or write.

#include <filesystem>
#include <optional>
#include <string>

namespace hubgate::config {

// Empty when `path` is an acceptable secret file, else why not, for example
// "/etc/hubgate/policy.key has mode 0644; it must not be readable by group or others (chmod 600)".
// Never includes the file's content.
std::optional<std::string> secret_file_problem(const std::filesystem::path& path);

// The secret a key file holds (a base64 key, a password), without the trailing newline, spaces
// or carriage return editors leave; nullopt when the file cannot be read. Checks no mode: call
// secret_file_problem() for that.
std::optional<std::string> read_secret_file(const std::filesystem::path& path);

}  // namespace hubgate::config
