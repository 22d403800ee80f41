#pragma once
// The seam between a device session and its MQTT connection to the hub: Paho in production
// (paho_upstream.hpp), a fake in unit tests. Every call returns at once; results come back as
// events, which may arrive on any thread.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace hubgate::transport {

// TLS material for one connection. The server is always verified.
struct TlsSettings {
    std::string ca_file;
    std::string cert_file;  // client certificate (X.509 auth), empty otherwise
    std::string key_file;
};

// Everything one CONNECT needs.
struct ConnectRequest {
    std::string username;
    std::string password;  // a SAS token, or empty for X.509 (never logged)
    TlsSettings tls;
    std::string http_proxy;
    std::chrono::seconds keep_alive{240};
    std::chrono::seconds connect_timeout{30};
};

// The outcome of one connect attempt. `connack_code` is the CONNACK return code when the hub
// answered (1..5 = refused), or -1 when no CONNACK came (network, TLS, timeout).
struct ConnectResult {
    bool ok = false;
    int connack_code = -1;
    std::string message;
};

// Who ended an established connection: the hub's side (the socket was closed or reset, or the
// library cannot tell), or hubgate itself (no answer within the keep-alive, a message it could
// not keep). Only the hub closing a connection can mean that another connection took the id.
enum class LossOrigin : std::uint8_t { Hub, Local };

// Events from one upstream connection.
class UpstreamEvents {
  public:
    virtual ~UpstreamEvents() = default;
    virtual void on_connect_result(const ConnectResult& result) = 0;
    // The hub or the network closed an established connection.
    virtual void on_connection_lost(const std::string& cause, LossOrigin origin) = 0;
    // Runs on the connection's I/O thread. False: the message could not be kept (see
    // c2d_keeper.hpp); a connection that can still hold back the message's PUBACK then closes
    // without sending it, so the hub delivers the message again.
    virtual bool on_message(std::string topic, std::string payload) = 0;
    virtual void on_subscribe_result(uint64_t tag, bool ok) = 0;
    // Telemetry and other publishes: `ok` once the hub acknowledged (QoS 1) or it was sent (QoS 0).
    virtual void on_publish_result(uint64_t tag, bool ok, const std::string& error) = 0;
    virtual void on_disconnected() = 0;  // a disconnect() we asked for has completed
};

// One MQTT connection for one device, reused across reconnects (same client id).
class UpstreamConnection {
  public:
    virtual ~UpstreamConnection() = default;
    virtual void connect(const ConnectRequest& request) = 0;
    virtual void disconnect() = 0;
    virtual void subscribe(const std::vector<std::string>& filters, int qos, uint64_t tag) = 0;
    // Topic and payload are handed over (moved to the I/O thread, not copied).
    virtual void publish(std::string topic, std::string payload, int qos, uint64_t tag) = 0;
};

// Creates connections; `events` outlives the connection it is given to.
class UpstreamFactory {
  public:
    virtual ~UpstreamFactory() = default;
    virtual std::unique_ptr<UpstreamConnection> create(const std::string& server_uri,
                                                       const std::string& client_id,
                                                       UpstreamEvents& events) = 0;
};

}  // namespace hubgate::transport
