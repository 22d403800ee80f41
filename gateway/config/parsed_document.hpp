#pragma once
// The parsed hubgate.toml kept with its Config, and the table walker the loader uses, for checks
// that run later against another key table (a plugin's declared settings). Internal to the
// config library: only its sources include toml++.

#include <toml++/toml.h>

#include <filesystem>
#include <string>
#include <vector>

#include "gateway/config/config.hpp"
#include "gateway/config/schema.hpp"

namespace hubgate::config {

struct ParsedDocument {
    toml::table root;  // source positions included
};

// Checks `table` against `keys` (paths relative to the table) exactly as hubgate.toml is checked
// against the schema: unknown keys with "did you mean", wrong types, values outside the choices,
// missing required keys, each at its line:col in `file`. `display_path` prefixes the key paths
// ("plugins.identity.config"); `table_pos` is where missing keys are reported.
std::vector<Diagnostic> check_table(const std::vector<KeySpec>& keys, const toml::table& table,
                                    const std::filesystem::path& file,
                                    const std::string& display_path, const SourcePos& table_pos);

}  // namespace hubgate::config
