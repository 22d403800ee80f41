#pragma once
// The bodies DPS answers a registration with (api-version 2019-03-31), read into one shape:
//   202 {"operationId", "status": "assigning"}
//   200 {"operationId", "status": "assigned"|"failed"|"disabled", "registrationState": {
//        "assignedHub", "deviceId", "substatus", "createdDateTimeUtc", "etag", "errorCode",
//        "errorMessage", ...}}
//   4xx/5xx {"errorCode", "message", ...}
// Pure: no I/O.

#include <optional>
#include <string>
#include <string_view>

namespace hubgate::provisioning {

enum class RegistrationStatus { Unassigned, Assigning, Assigned, Failed, Disabled };

std::string_view status_name(RegistrationStatus status);

struct RegistrationAnswer {
    RegistrationStatus status = RegistrationStatus::Unassigned;
    std::string operation_id;
    std::string assigned_hub;
    std::string device_id;
    std::string substatus;
    std::string created;        // createdDateTimeUtc, as DPS wrote it
    std::string etag;           // of this registration state: a new one for each registration
    std::string error_message;  // errorMessage or message; may be empty
    long error_code = 0;
};

// The answer in `body`, or nullopt with `error` when it is not JSON of the shape above (an
// "assigned" answer without a hub or device id is not).
std::optional<RegistrationAnswer> parse_registration_answer(std::string_view body,
                                                            std::string& error);

}  // namespace hubgate::provisioning
