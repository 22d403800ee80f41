#pragma once
// The UpstreamFactory the daemon uses: libmosquitto for MQTT over TLS (ssl://), whose cost per
// packet does not grow with the number of sessions; Paho for MQTT over WebSocket (wss://) and
// for any connection through an HTTP proxy, which libmosquitto does not speak.

#include <string>

#include "gateway/transport/mosquitto_upstream.hpp"
#include "gateway/transport/paho_upstream.hpp"

namespace hubgate::transport {

class DefaultUpstreamFactory final : public UpstreamFactory {
  public:
    // `through_http_proxy`: every connection goes through the sessions' HTTP proxy.
    explicit DefaultUpstreamFactory(bool through_http_proxy) : through_proxy_(through_http_proxy) {}

    std::unique_ptr<UpstreamConnection> create(const std::string& server_uri,
                                               const std::string& client_id,
                                               UpstreamEvents& events) override {
        if (!through_proxy_ && server_uri.starts_with("ssl://")) {
            return mosquitto_.create(server_uri, client_id, events);
        }
        return paho_.create(server_uri, client_id, events);
    }

  private:
    bool through_proxy_;
    MosquittoUpstreamFactory mosquitto_;
    PahoUpstreamFactory paho_;
};

}  // namespace hubgate::transport
