#pragma once
// Which hub an enrollment group's registration is assigned to (DPS allocation policies).

#include <string>
#include <string_view>

#include "hubsim/common/dps_config.hpp"

namespace hubsim {

// "static": the group's one hub. "hashed" (DPS's "evenly weighted distribution"): one of the
// group's hubs picked by the registration id alone — the first 8 bytes of SHA-256(registration
// id), big-endian, modulo the number of hubs, indexing `iot_hubs` in its order — so the same id
// always lands on the same hub and a set of ids spreads evenly. A group naming no hub assigns
// to `default_hub` (the hubsim config's [hub]).
std::string allocate_hub(const EnrollmentGroup& group, std::string_view registration_id,
                         const std::string& default_hub);

}  // namespace hubsim
