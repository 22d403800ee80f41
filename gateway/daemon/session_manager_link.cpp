#include "gateway/daemon/session_manager_link.hpp"

namespace hubgate::daemon {

void SessionManagerLink::ensure_session(const std::string& device_id,
                                        const session::DeviceNeeds& needs) {
    manager_.ensure_session(device_id, needs);
}

void SessionManagerLink::send_telemetry(const std::string& device_id, uint64_t handle,
                                        const session::Properties& properties, std::string payload,
                                        session::PublishCallback done) {
    // The manager numbers publishes itself; the caller's handle (the spool seq) is what `done`
    // must report.
    manager_.publish_telemetry(
        device_id, properties, std::move(payload),
        [handle, done = std::move(done)](uint64_t, session::PublishStatus status) {
            done(handle, status);
        });
}

void SessionManagerLink::patch_reported(const std::string& device_id, const nlohmann::json& patch,
                                        session::TwinCallback done) {
    manager_.patch_reported(device_id, patch, std::move(done));
}

void SessionManagerLink::get_twin(const std::string& device_id, session::TwinCallback done) {
    manager_.get_twin(device_id, std::move(done));
}

bool SessionManagerLink::reply_method(const std::string& device_id, const std::string& rid,
                                      int status, const std::string& payload) {
    return manager_.reply_method(device_id, rid, status, payload);
}

}  // namespace hubgate::daemon
