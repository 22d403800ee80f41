#pragma once
// Converts one TOML value to the typed Value its schema kind asks for: type checks, unit parsing,
// path resolution ("%d/" and relative paths) and file checks. Internal to the config library.

#include <toml++/toml.h>

#include <filesystem>
#include <optional>
#include <string>

#include "gateway/config/schema.hpp"

namespace hubgate::config {

struct ReadContext {
    std::filesystem::path base_dir;                        // relative paths are resolved against it
    std::optional<std::filesystem::path> credentials_dir;  // $CREDENTIALS_DIRECTORY, for "%d/"
};

// The value, or the first problem found and the node it is about (an array element, say).
struct ReadResult {
    Value value;
    std::string error;
    const toml::node* error_at = nullptr;
    bool ok() const { return error.empty(); }
};

ReadResult read_value(const KeySpec& spec, const toml::node& node, const ReadContext& context);

// "an integer", "a string", ...: how a TOML node's type is named in messages.
std::string_view toml_type_name(const toml::node& node);

// "host:port", "[v6]:port", "host" (port 0) or "port" (host empty).
std::optional<Endpoint> parse_endpoint(std::string_view text, std::string& error);

}  // namespace hubgate::config
