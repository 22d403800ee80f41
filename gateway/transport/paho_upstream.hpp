#pragma once
// The production UpstreamConnection: a Paho MQTT C++ async client per device, MQTT 3.1.1 over
// TLS (ssl://) or WebSocket (wss://), server verification always on, TLS 1.2 or newer.

#include <memory>
#include <string>

#include "gateway/transport/upstream.hpp"

namespace hubgate::transport {

// Creates Paho connections.
class PahoUpstreamFactory final : public UpstreamFactory {
  public:
    std::unique_ptr<UpstreamConnection> create(const std::string& server_uri,
                                               const std::string& client_id,
                                               UpstreamEvents& events) override;
};

}  // namespace hubgate::transport
