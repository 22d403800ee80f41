#pragma once
// Provisions devices through DPS on a thread of its own: a device asked for (the first time its
// session needs a key) is registered once, at most `registration_rate` registrations a second,
// and its assignment is kept (AssignmentStore) so later starts need no registration. A
// registration that does not end assigned is tried again later (back-off for errors, a long wait
// for failed and disabled). When a device is assigned, `on_assigned` runs (on the thread of its
// registration, several may at once): the daemon connects the device's session then.
//
// Up to `max_registrations` run at once, each on a thread of its own that ends with it: a
// registration mostly waits (a TLS handshake, then the retry-after seconds of DPS's "assigning"
// answer), so one at a time would top out far under DPS's quota. A registration's
// connection to DPS is closed when it ends: assigned devices cost nothing at DPS, and an idle
// provisioner holds no connection and no worker thread.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gateway/provisioning/assignment.hpp"
#include "gateway/provisioning/refusal_episodes.hpp"
#include "gateway/provisioning/registration_client.hpp"

namespace hubgate::provisioning {

struct ProvisionerOptions {
    RegistrationSettings registration;
    std::string group_key;  // base64; never logged (symmetric-key attestation)
    // X.509 attestation when set: the device's leaf certificate files (leaf_certificates.hpp),
    // or nullopt with an error message.
    std::function<std::optional<ClientCertificateFiles>(const std::string& registration_id,
                                                        std::string& error)>
        leaf_certificate;
    std::string payload_template;     // JSON text with "{device}"; empty: none
    double registration_rate = 3.33;  // registrations started per second (DPS: 200 a minute)
    // Registrations under way at once. 16 keep DPS's quota (200 a minute: 3.3 started a
    // second) busy with registrations of up to ~5 s each.
    unsigned max_registrations = 16;
    // Waits before a device whose registration did not end assigned is tried again.
    session::BackoffOptions error_backoff{std::chrono::seconds(5), std::chrono::minutes(10), 2.0};
    std::chrono::milliseconds refused_wait{std::chrono::minutes(10)};  // failed, disabled
};

// What `hubgate status` shows of a device's provisioning.
struct DeviceProvisioning {
    std::string state;    // "queued", "registering", "assigned", "failed", "disabled", "error"
    std::string message;  // the last registration's outcome, or empty
    std::string assigned_hub;
    unsigned attempts = 0;
    int64_t updated_at = 0;  // seconds since the Unix epoch
};

class Provisioner {
  public:
    using Assigned = std::function<void(const std::string& registration_id)>;

    Provisioner(ProvisionerOptions options, std::unique_ptr<transport::UpstreamFactory> factory,
                AssignmentStore& store, Assigned on_assigned);
    ~Provisioner();  // stops the thread
    Provisioner(const Provisioner&) = delete;
    Provisioner& operator=(const Provisioner&) = delete;

    void start();
    void stop();

    // The device's assignment when it has one. Otherwise nullopt, and its registration is
    // queued (once: asking again while it is queued or under way changes nothing).
    std::optional<Assignment> assignment_or_request(const std::string& registration_id);
    // `hubgate provision`: registers a device this provisioner knows (asked for in this run, or
    // with a kept assignment) again. Its kept assignment is not used from now on; the file is
    // replaced when DPS assigns it anew, and its session connects again then. Returns the
    // device's state now ("queued"), or nullopt for a device it does not know.
    std::optional<DeviceProvisioning> reprovision(const std::string& registration_id);
    // The hub refused the device's credentials (CONNACK 4/5). When the device's assignment had
    // worked (deleted or disabled in the hub since, or moved to another hub), it registers
    // again: once per refusal episode (refusal_episodes.hpp), never in a loop.
    void hub_refused(const std::string& registration_id);
    // The hub accepted the device: its assignment works (ends a refusal episode). The first time
    // for an assignment, this is noted in its file (on the provisioner's thread).
    void hub_accepted(const std::string& registration_id);
    // The device key the hub knows the device by (derived from the group key).
    std::optional<std::string> device_key(const std::string& registration_id) const;

    std::map<std::string, DeviceProvisioning> snapshot() const;
    // One device's provisioning in this run, or nullopt when it was not asked for.
    std::optional<DeviceProvisioning> device(const std::string& registration_id) const;
    // Registrations started again for devices that had an assignment (hub refusals and
    // `hubgate provision`), since start.
    std::uint64_t reprovisions() const { return reprovisions_.load(); }

  private:
    void run();
    // Joins the worker threads that have ended (their ids in finished_).
    void reap_workers(std::unique_lock<std::mutex>& lock);
    void provision(const std::string& registration_id);
    // Notes in the kept assignment that the hub accepted the device with it.
    void note_accepted(const std::string& registration_id);
    void queue_locked(const std::string& registration_id, std::chrono::steady_clock::time_point at);
    std::string render_payload(const std::string& registration_id) const;

    const ProvisionerOptions options_;
    const std::unique_ptr<transport::UpstreamFactory> factory_;
    std::mutex factory_mutex_;  // workers create their connections one at a time
    AssignmentStore& store_;
    const Assigned on_assigned_;

    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::map<std::string, std::chrono::steady_clock::time_point> due_;  // queued devices
    std::map<std::string, DeviceProvisioning> devices_;
    std::map<std::string, unsigned> failures_;  // consecutive, per device
    RefusalEpisodes episodes_;
    std::set<std::string> to_note_;      // accepted assignments whose files do not say so yet
    std::set<std::string> registering_;  // under way on a worker: not started twice at once
    std::map<std::thread::id, std::thread> workers_;  // the run() thread's; one per registration
    std::vector<std::thread::id> finished_;           // workers that have ended, to be joined
    std::atomic<std::uint64_t> reprovisions_{0};
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

}  // namespace hubgate::provisioning
