#pragma once
// What every benchmark does with its command line and its results: `--json FILE` names where the
// machine-readable results go (bench/run passes <build>/bench-results/<name>.json).

#include <string>

#include <nlohmann/json.hpp>

namespace hubgate::bench {

// "--json FILE" from argv (empty when absent); exits 2 on other arguments.
std::string json_path_from_args(int argc, char** argv, const char* name);
// Writes `document` (indented) to `path`; nothing when `path` is empty.
void write_json(const std::string& path, const nlohmann::json& document);

}  // namespace hubgate::bench
