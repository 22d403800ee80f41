#pragma once
// Turns one parsed mapping file into device classes and rules of a MappingSet::Impl, reporting
// every fault with its file:line:col. Cross-file checks live in rule_overlaps.hpp.

#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include "compiled_rules.hpp"

namespace hubgate::mappings {

// Adds the classes, rules and static devices of `root` to `impl`; appends diagnostics.
// `file` must point into impl.file_names.
void load_mapping_file(const toml::table& root, std::string_view file, const HookLookup& hooks,
                       MappingSet::Impl& impl, std::vector<LoadDiagnostic>& diagnostics);

}  // namespace hubgate::mappings
