#pragma once
// Per-device files named by a path pattern with {device} (auth.device_key_file,
// auth.cert_file, auth.cert_key_file): the path for one device, and the secret a per-device key
// file holds, under the same rule as every other secret file (secret_file.hpp).

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace hubgate::config {

// `pattern` with every {device} replaced by `device_id`; nullopt with `error` for an id that
// would name another place than a file of its own: "." and ".." (valid IoT Hub device ids, but
// "{device}.key" aside, "/keys/{device}" would be the folder or its parent), or an id with '/'
// or NUL.
std::optional<std::filesystem::path> device_file_path(std::string_view pattern,
                                                      std::string_view device_id,
                                                      std::string& error);

// The secret in `device_id`'s file of `pattern` (a base64 device key); nullopt with `error` when
// the id is refused above, or the file is no acceptable secret file (mode readable or writable
// by group or others, not a regular file, missing) or cannot be read. `error` names the file and
// never holds its content.
std::optional<std::string> read_device_secret(std::string_view pattern, std::string_view device_id,
                                              std::string& error);

}  // namespace hubgate::config
