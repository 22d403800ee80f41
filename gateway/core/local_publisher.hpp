#pragma once
// What the downlink side needs from the local broker link: publish one message. The libmosquitto
// link in the daemon, a fake in unit tests.

#include <cstdint>
#include <string>

namespace hubgate::core {

// Publishes to the local broker.
class LocalPublisher {
  public:
    virtual ~LocalPublisher() = default;
    // False (with `error`) when the message could not be handed to the link (disconnected and
    // not queued, too large, ...).
    virtual bool publish(const std::string& topic, const std::string& payload, int qos, bool retain,
                         std::string& error) = 0;
    // As publish(), for a kept C2D message (session/c2d_keeper.hpp): the publisher reports
    // `ticket` to whoever it was wired to once the local broker has acknowledged the message.
    virtual bool publish_kept(const std::string& topic, const std::string& payload, int qos,
                              bool retain, std::uint64_t ticket, std::string& error) = 0;
};

}  // namespace hubgate::core
