#pragma once
// Reads [dps] and [[enrollment_groups]] of a hubsim config (called by parse_hub_config).

#include <string>
#include <vector>

#include <toml++/toml.h>

#include "hubsim/common/dps_config.hpp"

namespace hubsim {

// Fills `out` from the parsed config `root`. Throws ConfigError ("file:line:col: key: message")
// on a bad or unknown value.
void read_dps_config(const toml::table& root, const std::string& source, DpsConfig& out);

// Throws ConfigError (at the group's position) when an enrollment group names a hub that is not
// in `hostnames` (the hubs of the config).
void check_group_hubs(const toml::table& root, const std::string& source, const DpsConfig& dps,
                      const std::vector<std::string>& hostnames);

}  // namespace hubsim
