#pragma once
// Turns SessionOptions and a device id into what one CONNECT needs: the server URI, the
// username and the credentials of the configured auth mode (a fresh SAS token each time).

#include <optional>
#include <string>
#include <variant>

#include "gateway/session/clock.hpp"
#include "gateway/session/session_options.hpp"
#include "gateway/transport/upstream.hpp"

namespace hubgate::session {

// "ssl://host:8883" or "wss://host:443/$iothub/websocket", from connect_host (or the hub
// hostname) with the transport's default port when none is given.
std::string server_uri(const SessionOptions& options);
// The same for a device whose hub is `hub`.
std::string server_uri(const SessionOptions& options, const DeviceHub& hub);

// A CONNECT for one device, with the expiry of its token (none for X.509).
struct DeviceConnect {
    transport::ConnectRequest request;
    std::optional<WallTime> token_expiry;
    std::string server_uri;    // where this device's hub is (server_uri() above)
    std::string hub_hostname;  // the hub it is for
};

// The CONNECT for `device_id` at `now`, or a reason (no key or certificate for this device,
// a key that is not base64) that must not be retried hot.
std::variant<DeviceConnect, std::string> make_device_connect(const SessionOptions& options,
                                                             const std::string& device_id,
                                                             WallTime now);

}  // namespace hubgate::session
