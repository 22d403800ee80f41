#pragma once
// Reads [dps] and [[enrollment_groups]] of a hubsim config (called by parse_hub_config).

#include <string>

#include <toml++/toml.h>

#include "hubsim/common/dps_config.hpp"

namespace hubsim {

// Fills `out` from the parsed config `root`. Throws ConfigError ("file:line:col: key: message")
// on a bad or unknown value.
void read_dps_config(const toml::table& root, const std::string& source, DpsConfig& out);

}  // namespace hubsim
