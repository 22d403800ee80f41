#pragma once
// What device sessions hand downstream (to the bridge), and how they report results.
// Every callback runs on the session manager's thread: return quickly, never block on the
// manager (post work elsewhere instead).

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "gateway/session/session_state.hpp"
#include "gateway/transport/inline_function.hpp"
#include "hubgate/iothub/property_bag.hpp"

namespace hubgate::session {

// Properties as the IoT Hub library decodes and encodes them.
using Properties = iothub::Properties;

// A cloud-to-device message with its decoded property bag ($.mid etc. and application properties).
struct C2dMessage {
    std::string device_id;
    std::string payload;
    Properties properties;
    // Nonzero: the message is kept (c2d_keeper.hpp) under this ticket until it is published
    // locally or released.
    std::uint64_t kept_ticket = 0;
};

// A direct method call waiting for SessionManager::reply_method(device_id, rid, ...).
struct MethodCall {
    std::string device_id;
    std::string name;
    std::string rid;
    std::string payload;  // JSON text ("null" when the caller sent none)
};

// Desired properties: a patch while connected, or the whole desired section after a
// (re)connect when its $version differs from the last one handed down.
struct DesiredUpdate {
    std::string device_id;
    nlohmann::json desired;
    int64_t version = 0;
    bool complete = false;  // true: the whole desired section; false: a patch
};

// Receives hub traffic and state changes for every device.
class SessionListener {
  public:
    virtual ~SessionListener() = default;
    virtual void on_c2d(const C2dMessage&) {}
    virtual void on_method(const MethodCall&) {}
    virtual void on_desired(const DesiredUpdate&) {}
    virtual void on_state(const std::string& /*device_id*/, SessionState) {}
};

// How a telemetry publish ended. Only Acked means the hub has it: anything else is to be sent
// again later (a spool keeps it until Acked).
enum class PublishStatus { Acked, NotConnected, ConnectionLost, Rejected, Closed };

std::string_view to_string(PublishStatus status);

// Made for every telemetry message: a callback of up to 64 bytes (the spool sender's: its inbox,
// counters and the device id) is kept in place rather than allocated.
using PublishCallback = transport::InlineFunction<void(uint64_t handle, PublishStatus status), 64>;

// The answer to a twin GET or reported PATCH; status 0 when no answer came (timeout, closed).
struct TwinResult {
    int status = 0;
    nlohmann::json body;             // GET: the twin document; errors: the hub's error JSON
    std::optional<int64_t> version;  // PATCH: the new reported $version
    std::string error;               // why, when status is not 2xx
};

using TwinCallback = std::function<void(const TwinResult&)>;

}  // namespace hubgate::session
