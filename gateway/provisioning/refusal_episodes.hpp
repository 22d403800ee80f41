#pragma once
// When a hub's refusal of a provisioned device (CONNACK 4/5: deleted, disabled or moved since)
// means "register it again": once per refusal episode. An episode starts with a refusal of an
// assignment that had worked and ends when the hub accepts the device again. A new assignment
// has to be accepted once before a refusal of it registers the device again: DPS can assign a
// device its hub still refuses (disabled there; DPS does not enable it), and registering again
// at every refusal would loop. Such a device, like one the hub never accepted, waits as any
// refused device does (sessions.refused_backoff).
//
// Pure and not thread-safe: the provisioner calls it under its lock.

#include <map>
#include <string>

namespace hubgate::provisioning {

enum class RefusalVerdict {
    register_again,  // the assignment had worked: register the device again
    refused_anew,    // the hub refuses an assignment it never accepted: say so (once)
    still_refused,   // refused again, already said: wait for the hub to accept the device
};

class RefusalEpisodes {
  public:
    // DPS assigned the device anew: its hub has not accepted this assignment yet.
    void assigned(const std::string& registration_id);
    // The hub accepted the device: the assignment works, and any episode is over.
    void accepted(const std::string& registration_id);
    // The hub refused the device. `kept_worked`: for a device not seen in this run, whether its
    // kept assignment had been accepted (in an earlier run).
    RefusalVerdict refused(const std::string& registration_id, bool kept_worked);

  private:
    enum class Assignment { works, unproven, unproven_said };
    std::map<std::string, Assignment, std::less<>> devices_;
};

}  // namespace hubgate::provisioning
