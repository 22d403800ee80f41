#pragma once
// The seam between hubsim's emulated Device Provisioning Service (hubsim/plugin/dps.*, which
// implements it) and the HTTPS service API (hubsim/service/enrollment_routes.*, which calls it).
// Every method is safe to call from any thread. JSON shapes follow the DPS service REST API,
// api-version 2021-10-01; errors are {"errorCode", "trackingId", "message", "timestampUtc"}.

#include <string>

#include "hubsim/common/hub_service.hpp"

namespace hubsim {

class DpsService {
  public:
    virtual ~DpsService() = default;

    // PUT/GET/DELETE /enrollmentGroups/{id}: symmetric-key group enrollments.
    virtual ServiceResult put_enrollment_group(const std::string& id, const json& group) = 0;
    virtual ServiceResult get_enrollment_group(const std::string& id) = 0;
    virtual ServiceResult delete_enrollment_group(const std::string& id) = 0;

    // Emulator-only: GET /hubsim/dps (settings, counters, registrations) and PUT
    // /hubsim/dps/faults {"refuseRegistrations": bool, "registrationsPerMinute": number}.
    virtual ServiceResult dps_state() = 0;
    virtual ServiceResult set_dps_faults(const json& faults) = 0;

    // The host name enrollment API tokens are scoped to (sr=...).
    virtual std::string service_hostname() = 0;
};

}  // namespace hubsim
