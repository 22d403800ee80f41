#pragma once
// The schema table: every key of hubgate.toml, declared once with its type, default and one-line
// description. The loader, the cross-field checks and docs/configuration.md all come from it.

#include <functional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "gateway/config/config.hpp"

namespace hubgate::config {

// What a key holds and how its TOML value is read.
enum class Kind {
    Table,        // a section with its own declared keys
    NamedTables,  // any number of tables under user-chosen names ("plugins.<name>")
    FreeTable,    // any content, not checked here, handed on as JSON text
    String,
    Enum,     // a string from `choices`
    Integer,  // a TOML integer
    Number,   // a TOML integer or float
    Bool,
    DurationText,   // a string such as "30s" (units.hpp)
    Size,           // a string such as "64MiB" (units.hpp)
    Path,           // a string; relative to the config file's folder
    FilePath,       // Path that must name a readable file
    SecretPath,     // Path that must name a secret file (secret_file.hpp); "%d/" allowed
    Pattern,        // a path with "{device}"; relative to the config file's folder
    SecretPattern,  // Pattern for secret files; "%d/" allowed
    PluginPath,     // a string; relative to plugins.dir
    HostPort,       // "host:port", "host" or "port" (meaning of a missing part: per key)
    StringList,     // an array of strings
    PathList,       // an array of Path
    TableList,      // an array of tables, each with the keys declared under this key's path
};

// A converted value, before it is stored into Config.
using Value = std::variant<std::monostate, bool, int64_t, double, uint64_t, Duration, std::string,
                           std::filesystem::path, std::vector<std::string>,
                           std::vector<std::filesystem::path>, config::Endpoint>;

// One declared key. `path` is dotted from the root; "*" stands for a user-chosen table name.
struct KeySpec {
    std::string_view path = {};
    Kind kind = Kind::Table;
    std::string_view default_literal = {};  // a TOML value ("240s" quoted, 1883, true); empty: none
    std::string_view description = {};
    bool required = false;
    std::vector<std::string_view> choices = {};  // Kind::Enum, in the order of the C++ enum
    // Extra rule on the converted value: returns the problem, or an empty string.
    std::function<std::string(const Value&)> check = {};
    // Stores the value into the config (for NamedTables: the name, as a string).
    std::function<void(Config&, const Value&)> assign = {};
};

const std::vector<KeySpec>& schema();
const KeySpec* find_key(std::string_view path);
// Declared keys directly under a table path ("" for the root), in declaration order.
std::vector<const KeySpec*> keys_under(std::string_view table_path);
// The same two lookups in another key table (a plugin's declared settings, say).
const KeySpec* find_key(const std::vector<KeySpec>& keys, std::string_view path);
std::vector<const KeySpec*> keys_under(const std::vector<KeySpec>& keys,
                                       std::string_view table_path);
// "a duration string", "an integer", ...: how error messages and the reference name a kind.
std::string_view kind_name(Kind kind);

// docs/configuration.md's key reference, generated from the table (Markdown).
std::string reference_markdown();

}  // namespace hubgate::config
