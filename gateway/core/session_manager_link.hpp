#pragma once
// The bridge's HubLink on top of the real session manager.

#include "gateway/core/hub_link.hpp"
#include "gateway/session/session_manager.hpp"

namespace hubgate::core {

// Forwards to session::SessionManager; the spool's seq is carried as the publish handle.
class SessionManagerLink final : public HubLink {
  public:
    explicit SessionManagerLink(session::SessionManager& manager) : manager_(manager) {}

    void ensure_session(const std::string& device_id, const session::DeviceNeeds& needs) override;
    void send_telemetry(const std::string& device_id, uint64_t handle,
                        session::Properties properties, std::string_view message_id,
                        std::string payload, session::PublishCallback done) override;
    void patch_reported(const std::string& device_id, std::string body,
                        session::TwinCallback done) override;
    void get_twin(const std::string& device_id, session::TwinCallback done) override;
    bool reply_method(const std::string& device_id, const std::string& rid, int status,
                      const std::string& payload) override;

  private:
    session::SessionManager& manager_;
};

}  // namespace hubgate::core
