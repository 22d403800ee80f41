#pragma once
// What the hub asks of the broker; implemented with mosquitto's plugin API in plugin_main.cpp.
// Only ever called on the broker thread.

#include <cstdint>
#include <optional>
#include <string>

namespace hubsim {

// Broker operations the hub needs: publish to one client, disconnect one client.
class BrokerActions {
  public:
    virtual ~BrokerActions() = default;
    // Delivers to the client with this id (whether or not it subscribed); dropped when unknown.
    virtual void publish(const std::string& client_id, const std::string& topic,
                         const std::string& payload, int qos,
                         std::optional<uint32_t> expiry_seconds) = 0;
    // Closes the client's network connection. Runs the disconnect callback synchronously:
    // never call it while holding the hub's lock.
    virtual void kick(const std::string& client_id) = 0;
};

}  // namespace hubsim
