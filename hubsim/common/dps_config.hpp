#pragma once
// hubsim's Device Provisioning Service as configured: [dps] (ID scope, service host name, the
// registration quota) and [[enrollment_groups]] (symmetric-key group enrollments).

#include <string>
#include <vector>

namespace hubsim {

// A group enrollment. Symmetric-key attestation: a device proves membership with a key derived
// from the group key (see hubgate::iothub::derive_device_key). X.509 attestation (a signing
// certificate, no keys): with a client certificate that the signing certificate issued (directly
// or through intermediates the device sends) and whose CN is the registration id.
struct EnrollmentGroup {
    std::string id;
    std::string primary_key;            // base64
    std::string secondary_key;          // base64
    bool enabled = true;                // provisioningStatus
    std::string signing_certificate{};  // PEM; non-empty: X.509 attestation
    bool x509() const { return !signing_certificate.empty(); }
    // Where the group's devices are assigned (allocationPolicy with iotHubs / iotHubHostName):
    // "hashed" spreads registration ids evenly and deterministically over `iot_hubs`; "static"
    // has one hub there. Empty `iot_hubs`: the hub of [hub].
    std::string allocation_policy = "hashed";
    std::vector<std::string> iot_hubs = {};  // host names of hubs this hubsim serves
};

struct DpsConfig {
    // The ID scope in DPS usernames and SAS resources ("{idScope}/registrations/{id}").
    std::string id_scope = "0ne00000000";
    // The host name service SAS tokens for the enrollment API are scoped to (sr=...).
    std::string service_hostname = "hubsim-dps.azure-devices-provisioning.net";
    // Registrations (PUT iotdps-register) accepted per minute, with a burst of as many; more
    // are answered 429 with retry-after. The real service's published quota per unit is 200.
    // 0 = unlimited.
    double registrations_per_minute = 200;
    // retry-after (seconds) in the 202 "assigning" answer, before the client polls.
    int poll_after_seconds = 1;
    std::vector<EnrollmentGroup> enrollment_groups;
};

}  // namespace hubsim
