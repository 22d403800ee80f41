#pragma once
// What the bridge needs from the device sessions, as one narrow interface: the session manager
// in the daemon (session_manager_link.cpp), a fake in unit tests. Every call returns at once;
// results come back through the callbacks, on the session manager's thread.

#include <cstdint>
#include <string>

#include "gateway/session/session_listener.hpp"
#include "gateway/session/session_options.hpp"

namespace hubgate::daemon {

// The device sessions, seen from the bridge.
class HubLink {
  public:
    virtual ~HubLink() = default;
    // Makes sure the device has a session that subscribes to what `needs` names.
    virtual void ensure_session(const std::string& device_id,
                                const session::DeviceNeeds& needs) = 0;
    // Telemetry with its property bag; `done` gets `handle` back with the outcome. Properties and
    // payload are moved along to the TLS write, never copied.
    virtual void send_telemetry(const std::string& device_id, uint64_t handle,
                                session::Properties properties, std::string payload,
                                session::PublishCallback done) = 0;
    // `body`: the JSON text of one reported-properties patch (an object), sent as it is.
    virtual void patch_reported(const std::string& device_id, std::string body,
                                session::TwinCallback done) = 0;
    virtual void get_twin(const std::string& device_id, session::TwinCallback done) = 0;
    // Answers a direct method the hub asked; false when `rid` is not waiting any more.
    virtual bool reply_method(const std::string& device_id, const std::string& rid, int status,
                              const std::string& payload) = 0;
};

}  // namespace hubgate::daemon
