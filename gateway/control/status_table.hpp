#pragma once
// `hubgate status` for people: the status JSON as a sessions table and a counters table.

#include <nlohmann/json.hpp>
#include <string>

namespace hubgate::control {

// Columns DEVICE STATE SINCE RETRY-AT TOKEN-EXPIRES REASON, a summary line counting sessions by
// state, then COUNTER VALUE. Missing or null fields print as "-"; unknown fields are ignored.
std::string format_status_table(const nlohmann::ordered_json& status);

}  // namespace hubgate::control
