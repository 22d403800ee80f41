#pragma once
// The UpstreamConnection for MQTT over TLS (ssl://host:port): libmosquitto clients, all driven
// by one thread from one epoll set, so the cost of a packet does not grow with the number of
// sessions (Paho C polls every socket on every wakeup). MQTT 3.1.1, server verification
// always on, TLS 1.2 or newer. WebSocket and HTTP proxies stay with Paho (paho_upstream.hpp).

#include <memory>
#include <string>

#include "gateway/transport/upstream.hpp"

namespace hubgate::transport {

class MosquittoLoop;

// Creates libmosquitto connections for "ssl://host:port" URIs; owns the loop thread (started
// at the first create(), stopped when the factory goes). Connections must not outlive it.
class MosquittoUpstreamFactory final : public UpstreamFactory {
  public:
    MosquittoUpstreamFactory();
    ~MosquittoUpstreamFactory() override;
    std::unique_ptr<UpstreamConnection> create(const std::string& server_uri,
                                               const std::string& client_id,
                                               UpstreamEvents& events) override;

  private:
    std::unique_ptr<MosquittoLoop> loop_;
};

}  // namespace hubgate::transport
