#pragma once
// The DPS routes of the service API: the enrollment group API in DPS's REST shapes
// (PUT/GET/DELETE /enrollmentGroups/{id}, tokens scoped to the DPS service host name and signed
// by a policy with EnrollmentRead / EnrollmentWrite) and the emulator's /hubsim/dps endpoints
// (tokens as for the other /hubsim/ endpoints: the hub host name, ServiceConnect).

#include "hubsim/common/dps_service.hpp"
#include "hubsim/service/routes.hpp"

namespace hubsim {

// `hub` answers the policy lookups; `hub`, `dps` and `counters` must outlive `server`.
void add_enrollment_routes(httplib::Server& server, HubService& hub, DpsService& dps,
                           ServiceCounters& counters);

}  // namespace hubsim
