#include "gateway/core/session_manager_link.hpp"

namespace hubgate::core {

void SessionManagerLink::ensure_session(const std::string& device_id,
                                        const session::DeviceNeeds& needs) {
    manager_.ensure_session(device_id, needs);
}

void SessionManagerLink::send_telemetry(const std::string& device_id, uint64_t handle,
                                        session::Properties properties, std::string_view message_id,
                                        std::string payload, session::PublishCallback done) {
    // The caller's handle (the spool seq) is the publish handle `done` reports.
    manager_.publish_telemetry(device_id, handle, std::move(properties), message_id,
                               std::move(payload), std::move(done));
}

void SessionManagerLink::patch_reported(const std::string& device_id, std::string body,
                                        session::TwinCallback done) {
    manager_.patch_reported(device_id, std::move(body), std::move(done));
}

void SessionManagerLink::get_twin(const std::string& device_id, session::TwinCallback done) {
    manager_.get_twin(device_id, std::move(done));
}

bool SessionManagerLink::reply_method(const std::string& device_id, const std::string& rid,
                                      int status, const std::string& payload) {
    return manager_.reply_method(device_id, rid, status, payload);
}

}  // namespace hubgate::core
