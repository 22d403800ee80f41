#pragma once
// What the bridge needs from the device sessions, as one narrow interface: the session manager
// in the daemon (session_manager_link.cpp), a fake in unit tests. Every call returns at once;
// results come back through the callbacks, on the session manager's thread.

#include <cstdint>
#include <string>

#include "gateway/session/session_listener.hpp"
#include "gateway/session/session_options.hpp"

namespace hubgate::core {

// The device sessions, seen from the bridge.
class HubLink {
  public:
    virtual ~HubLink() = default;
    // Makes sure the device has a session that subscribes to what `needs` names.
    virtual void ensure_session(const std::string& device_id,
                                const session::DeviceNeeds& needs) = 0;
    // Telemetry with its property bag and the spool's message id (sent as $.mid unless the
    // properties carry one); `done` gets `handle` back with the outcome. Properties and payload
    // are moved along to the TLS write, never copied; `message_id` is read before this returns.
    virtual void send_telemetry(const std::string& device_id, uint64_t handle,
                                session::Properties properties, std::string_view message_id,
                                std::string payload, session::PublishCallback done) = 0;
    // `body`: the JSON text of one reported-properties patch (an object), sent as it is.
    virtual void patch_reported(const std::string& device_id, std::string body,
                                session::TwinCallback done) = 0;
    virtual void get_twin(const std::string& device_id, session::TwinCallback done) = 0;
    // Answers the direct-method request `rid` the device's session handed down, at once. On the
    // session manager's thread only (where the pending calls are kept, method_calls.hpp). False,
    // and nothing is sent, when the device's session is not connected: the hub failed its calls
    // when that session ended.
    virtual bool reply_method(const std::string& device_id, const std::string& rid, int status,
                              const std::string& payload) = 0;
};

}  // namespace hubgate::core
