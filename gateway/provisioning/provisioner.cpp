// The provisioner's queue and thread (see provisioner.hpp).
#include "gateway/provisioning/provisioner.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "gateway/session/token_bucket.hpp"
#include "hubgate/iothub/dps_credentials.hpp"

namespace hubgate::provisioning {

namespace {

using Clock = std::chrono::steady_clock;

int64_t epoch_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// `text` with every "{device}" replaced by `id` (registration ids need no JSON escaping: they
// are letters, digits and - . _ :).
std::string replace_device(std::string text, const std::string& id) {
    constexpr std::string_view kPlaceholder = "{device}";
    for (auto at = text.find(kPlaceholder); at != std::string::npos;
         at = text.find(kPlaceholder, at + id.size())) {
        text.replace(at, kPlaceholder.size(), id);
    }
    return text;
}

// The factory for registrations on several workers: the daemon's factories are made for one
// calling thread (the first create() starts their loop).
class SerializedFactory final : public transport::UpstreamFactory {
  public:
    SerializedFactory(transport::UpstreamFactory& inner, std::mutex& mutex)
        : inner_(inner), mutex_(mutex) {}
    std::unique_ptr<transport::UpstreamConnection> create(
        const std::string& server_uri, const std::string& client_id,
        transport::UpstreamEvents& events) override {
        std::lock_guard lock(mutex_);
        return inner_.create(server_uri, client_id, events);
    }

  private:
    transport::UpstreamFactory& inner_;
    std::mutex& mutex_;
};

}  // namespace

Provisioner::Provisioner(ProvisionerOptions options,
                         std::unique_ptr<transport::UpstreamFactory> factory,
                         AssignmentStore& store, Assigned on_assigned)
    : options_(std::move(options)),
      factory_(std::move(factory)),
      store_(store),
      on_assigned_(std::move(on_assigned)) {}

Provisioner::~Provisioner() {
    stop();
}

void Provisioner::start() {
    if (!thread_.joinable())
        thread_ = std::thread([this] { run(); });
}

void Provisioner::stop() {
    stopping_ = true;
    wake_.notify_all();
    if (thread_.joinable())
        thread_.join();
}

std::optional<Assignment> Provisioner::assignment_or_request(const std::string& registration_id) {
    std::lock_guard lock(mutex_);
    const auto known = devices_.find(registration_id);
    const bool forced = known != devices_.end() && known->second.state != "assigned";
    if (!forced) {
        if (auto kept = store_.find(registration_id))
            return kept;
    }
    if (known == devices_.end())
        queue_locked(registration_id, Clock::now());
    return std::nullopt;
}

std::optional<DeviceProvisioning> Provisioner::reprovision(const std::string& registration_id) {
    std::lock_guard lock(mutex_);
    if (!devices_.contains(registration_id) && !store_.find(registration_id))
        return std::nullopt;
    spdlog::info("provisioning {}: registering it again, as asked (hubgate provision)",
                 registration_id);
    reprovisions_++;
    failures_.erase(registration_id);
    queue_locked(registration_id, Clock::now());
    return devices_[registration_id];
}

void Provisioner::hub_refused(const std::string& registration_id) {
    std::lock_guard lock(mutex_);
    const auto known = devices_.find(registration_id);
    if (known != devices_.end() && known->second.state != "assigned")
        return;  // not assigned yet: being provisioned, or failed (tried again on its own)
    const auto kept = store_.find(registration_id);
    if (!kept)
        return;
    switch (episodes_.refused(registration_id, kept->accepted_by_hub)) {
        case RefusalVerdict::register_again:
            break;
        case RefusalVerdict::refused_anew:
            spdlog::warn(
                "provisioning {}: the hub refuses the device with the assignment DPS gave it, "
                "and has never accepted it (disabled in the hub?); not registering it again "
                "before the hub has accepted it once",
                registration_id);
            return;
        case RefusalVerdict::still_refused:
            return;
    }
    spdlog::warn(
        "provisioning {}: the hub refused the device it was assigned as (deleted, disabled "
        "or moved since it connected); registering it again",
        registration_id);
    reprovisions_++;
    failures_.erase(registration_id);
    queue_locked(registration_id, Clock::now());
}

void Provisioner::hub_accepted(const std::string& registration_id) {
    std::lock_guard lock(mutex_);
    episodes_.accepted(registration_id);
    if (const auto kept = store_.find(registration_id); kept && !kept->accepted_by_hub) {
        // Written on the provisioner's thread: this one (the sessions') must not wait for a disk.
        to_note_.insert(registration_id);
        wake_.notify_all();
    }
}

void Provisioner::note_accepted(const std::string& registration_id) {
    // On the provisioner's thread, which starts no registration meanwhile, and for no device
    // under way (run() leaves those out): no new assignment of this device is saved meanwhile.
    auto kept = store_.find(registration_id);
    if (!kept || kept->accepted_by_hub)
        return;
    kept->accepted_by_hub = true;
    std::string error;
    if (!store_.save(*kept, error)) {
        // This run knows; a later start would take the device for one the hub never accepted.
        spdlog::warn("provisioning {}: cannot note that the hub accepted the device: {}",
                     registration_id, error);
    }
}

std::optional<std::string> Provisioner::device_key(const std::string& registration_id) const {
    return iothub::derive_device_key(options_.group_key, registration_id);
}

std::map<std::string, DeviceProvisioning> Provisioner::snapshot() const {
    std::lock_guard lock(mutex_);
    return devices_;
}

std::optional<DeviceProvisioning> Provisioner::device(const std::string& registration_id) const {
    std::lock_guard lock(mutex_);
    const auto found = devices_.find(registration_id);
    if (found == devices_.end())
        return std::nullopt;
    return found->second;
}

void Provisioner::queue_locked(const std::string& registration_id, Clock::time_point at) {
    due_[registration_id] = at;
    auto& device = devices_[registration_id];
    device.state = "queued";
    device.updated_at = epoch_now();
    wake_.notify_all();
}

std::string Provisioner::render_payload(const std::string& registration_id) const {
    return options_.payload_template.empty()
               ? std::string()
               : replace_device(options_.payload_template, registration_id);
}

void Provisioner::run() {
    // A burst of 2: a start this thread makes late (it also writes the hub's acceptances, with
    // an fsync each) is made up at the next one; with a burst of 1 every such delay was lost for
    // good (1,000 devices at the quota: 0.92 of it with 1, 0.95 with 2; bench_provisioning).
    session::TokenBucket pace(options_.registration_rate, 2, Clock::now());
    const std::size_t max_workers = std::max(1U, options_.max_registrations);
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        reap_workers(lock);
        if (!to_note_.empty()) {
            auto accepted = std::exchange(to_note_, {});
            // One under way is saved anew by its worker: noting the old one could overwrite it.
            std::erase_if(accepted, [this](const auto& id) { return registering_.contains(id); });
            lock.unlock();
            for (const auto& registration_id : accepted)
                note_accepted(registration_id);
            lock.lock();
            continue;
        }
        if (workers_.size() >= max_workers) {
            wake_.wait(lock);  // a worker that ends wakes this
            continue;
        }
        // The device due first, if it is due (and not under way: asked for again meanwhile, it
        // starts once the registration under way has ended).
        auto next = due_.end();
        for (auto it = due_.begin(); it != due_.end(); ++it) {
            if (!registering_.contains(it->first) &&
                (next == due_.end() || it->second < next->second))
                next = it;
        }
        const auto now = Clock::now();
        if (next == due_.end()) {
            wake_.wait(lock);
            continue;
        }
        const auto paced = pace.next_available(now);
        const auto at = std::max(next->second, paced);
        if (at > now) {
            wake_.wait_until(lock, at);
            continue;
        }
        pace.try_take(now);
        const std::string registration_id = next->first;
        due_.erase(next);
        auto& device = devices_[registration_id];
        device.state = "registering";
        device.attempts++;
        device.updated_at = epoch_now();
        registering_.insert(registration_id);
        std::thread worker([this, registration_id] {
            provision(registration_id);
            std::lock_guard done(mutex_);
            registering_.erase(registration_id);
            finished_.push_back(std::this_thread::get_id());
            wake_.notify_all();
        });
        const auto id = worker.get_id();
        workers_.emplace(id, std::move(worker));
    }
    // Stopping: the workers see stopping_ and end their registrations.
    while (!workers_.empty()) {
        reap_workers(lock);
        if (!workers_.empty())
            wake_.wait(lock);
    }
}

void Provisioner::reap_workers(std::unique_lock<std::mutex>& lock) {
    if (finished_.empty())
        return;
    std::vector<std::thread> ended;
    for (const auto id : std::exchange(finished_, {})) {
        if (auto worker = workers_.extract(id))
            ended.push_back(std::move(worker.mapped()));
    }
    // A finished worker has only to return: joining it waits for nothing this lock guards.
    lock.unlock();
    for (auto& worker : ended)
        worker.join();
    lock.lock();
}

void Provisioner::provision(const std::string& registration_id) {
    RegistrationRequest request{registration_id, {}, render_payload(registration_id)};
    std::string leaf_error;
    const bool x509 = static_cast<bool>(options_.leaf_certificate);
    std::optional<std::string> key;
    if (x509) {
        if (auto files = options_.leaf_certificate(registration_id, leaf_error))
            request.certificate = *files;
    } else {
        key = device_key(registration_id);
    }
    RegistrationResult result;
    if (!iothub::valid_registration_id(registration_id)) {
        result.outcome = RegistrationOutcome::Failed;
        result.message = "not a valid DPS registration id (1-128 letters, digits and - . _ :)";
    } else if (x509 && request.certificate.cert_file.empty()) {
        result.outcome = RegistrationOutcome::Error;
        result.message = "no leaf certificate: " + leaf_error;
    } else if (!x509 && !key) {
        result.outcome = RegistrationOutcome::Error;
        result.message = "the group key is not base64";
    } else {
        spdlog::info("provisioning {}: registering with DPS{}", registration_id,
                     x509 ? " (X.509)" : "");
        if (key)
            request.device_key = *key;
        SerializedFactory factory(*factory_, factory_mutex_);
        result = register_device(factory, options_.registration, request, stopping_);
    }
    if (result.outcome == RegistrationOutcome::Stopped)
        return;

    std::optional<Assignment> assignment;
    if (result.outcome == RegistrationOutcome::Assigned) {
        assignment =
            Assignment{registration_id,         result.answer.assigned_hub, result.answer.device_id,
                       result.answer.substatus, result.answer.created,      epoch_now(),
                       result.answer.etag};
        std::string error;
        if (!store_.save(*assignment, error)) {
            // Still usable now; the next start registers again (DPS answers the same hub).
            spdlog::error("provisioning {}: cannot keep the assignment: {}", registration_id,
                          error);
        }
        spdlog::info("provisioning {}: {} ({})", registration_id, result.message,
                     result.answer.substatus);
    } else if (result.outcome == RegistrationOutcome::Error) {
        spdlog::warn("provisioning {}: {}", registration_id, result.message);
    } else {
        spdlog::error("provisioning {}: {}", registration_id, result.message);
    }

    {
        std::lock_guard lock(mutex_);
        auto& device = devices_[registration_id];
        device.state = std::string(outcome_name(result.outcome));
        device.message = result.message;
        device.updated_at = epoch_now();
        if (assignment) {
            device.assigned_hub = assignment->assigned_hub;
            failures_.erase(registration_id);
            episodes_.assigned(registration_id);
        } else if (!due_.contains(registration_id)) {
            // Not asked for again meanwhile: try again later.
            const unsigned failures = failures_[registration_id]++;
            const auto wait =
                result.outcome == RegistrationOutcome::Error
                    ? session::RetryPolicy(options_.error_backoff)
                          .delay(failures, session::default_random()())
                    : std::chrono::duration_cast<session::Millis>(options_.refused_wait);
            due_[registration_id] = Clock::now() + wait;
        }
    }
    if (assignment && on_assigned_)
        on_assigned_(registration_id);
}

}  // namespace hubgate::provisioning
