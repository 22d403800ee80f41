#pragma once
// What the downlink side needs from the local broker link: publish one message. The libmosquitto
// link in the daemon, a fake in unit tests.

#include <string>

namespace hubgate::daemon {

// Publishes to the local broker.
class LocalPublisher {
  public:
    virtual ~LocalPublisher() = default;
    // False (with `error`) when the message could not be handed to the link (disconnected and
    // not queued, too large, ...).
    virtual bool publish(const std::string& topic, const std::string& payload, int qos, bool retain,
                         std::string& error) = 0;
};

}  // namespace hubgate::daemon
