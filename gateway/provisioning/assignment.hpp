#pragma once
// What a finished DPS registration leaves for a device: the hub it belongs to and its device id
// there. Kept on disk (AssignmentStore) so a device is provisioned once, not at every start.

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace hubgate::provisioning {

struct Assignment {
    std::string registration_id;
    std::string assigned_hub;
    std::string device_id;
    std::string substatus;
    std::string created;         // createdDateTimeUtc from DPS
    int64_t provisioned_at = 0;  // when hubgate received it, seconds since the Unix epoch
    std::string etag;            // the registration state's etag: a new one at each registration
    // The hub has accepted the device with this assignment (a refusal of it then means the device
    // was deleted, disabled or moved: it registers again; refusal_episodes.hpp).
    bool accepted_by_hub = false;
};

nlohmann::json to_json(const Assignment& assignment);
// nullopt when `document` lacks the hub or device id, or a field has the wrong type.
std::optional<Assignment> assignment_from_json(const nlohmann::json& document);

// Where assignments are kept (the daemon's state directory; a map in tests). Thread-safe.
class AssignmentStore {
  public:
    virtual ~AssignmentStore() = default;
    virtual std::optional<Assignment> find(const std::string& registration_id) = 0;
    // False with `error` when it could not be kept durably.
    virtual bool save(const Assignment& assignment, std::string& error) = 0;
};

}  // namespace hubgate::provisioning
