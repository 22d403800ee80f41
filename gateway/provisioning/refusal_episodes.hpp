#pragma once
// When a hub's refusal of a provisioned device (CONNACK 4/5: deleted, disabled or moved since)
// means "register it again": once per refusal episode. An episode starts with a refusal of an
// assignment that had worked and ends when the hub accepts the device again. A new assignment
// has to be accepted once before a refusal of it registers the device again: DPS can assign a
// device its hub still refuses (disabled there; DPS does not enable it), and registering again
// at every refusal would loop. Such a device waits as any refused device does
// (sessions.refused_backoff).
//
// Only this run is known: an assignment kept from an earlier run counts as one that worked (it
// was kept when DPS assigned it, and the device connected with it then unless the hub refused it
// at once). Pure and not thread-safe: the provisioner calls it under its lock.

#include <map>
#include <string>

namespace hubgate::provisioning {

enum class RefusalVerdict {
    register_again,  // the assignment had worked: register the device again
    refused_anew,    // the hub refuses the assignment DPS has just given: say so (once)
    still_refused,   // refused again, already said: wait for the hub to accept the device
};

class RefusalEpisodes {
  public:
    // DPS assigned the device anew: its hub has not accepted this assignment yet.
    void assigned(const std::string& registration_id);
    // The hub accepted the device: the assignment works, and any episode is over.
    void accepted(const std::string& registration_id);
    // The hub refused the device.
    RefusalVerdict refused(const std::string& registration_id);

  private:
    // Devices whose assignment the hub has not accepted since it was made (or since the hub
    // refused it and the device registered again), each with whether a refusal of it was said.
    std::map<std::string, bool, std::less<>> unproven_;
};

}  // namespace hubgate::provisioning
