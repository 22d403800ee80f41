#pragma once
// Load-time report of uplink rules that can match the same topic, naming both positions and
// which rule wins.

#include <vector>

#include "compiled_rules.hpp"

namespace hubgate::mappings {

// Negative when rule `a` wins over rule `b` for a topic both match (more specific pattern,
// else loaded first), positive when `b` wins.
int compare_precedence(const UplinkRule& a, std::size_t a_index, const UplinkRule& b,
                       std::size_t b_index);

// Appends one warning per overlapping pair of rules.
void report_overlaps(const MappingSet::Impl& impl, std::vector<LoadDiagnostic>& diagnostics);

}  // namespace hubgate::mappings
