#pragma once
// `hubgate status` for people: the status JSON as a sessions table and a counters table.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace hubgate::control {

using Row = std::vector<std::string>;

// `object[name]` for a table cell: strings as they are, other values as JSON, "-" for a missing
// or null field or an empty string.
std::string field(const nlohmann::ordered_json& object, const char* name);

// Appends `rows` as left-aligned columns two spaces apart; the last column is not padded.
void append_table(std::string& out, const std::vector<Row>& rows);

// Columns DEVICE STATE SINCE RETRY-AT TOKEN-EXPIRES REASON, a summary line counting sessions by
// state, then COUNTER VALUE. Missing or null fields print as "-"; unknown fields are ignored.
std::string format_status_table(const nlohmann::ordered_json& status);

}  // namespace hubgate::control
