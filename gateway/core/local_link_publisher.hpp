#pragma once
// The downlink side's LocalPublisher on top of the libmosquitto local link.

#include "gateway/core/local_publisher.hpp"
#include "gateway/transport/local_link.hpp"

namespace hubgate::core {

// Queues downlinks on the local link (sent in order once connected).
class LocalLinkPublisher final : public LocalPublisher {
  public:
    explicit LocalLinkPublisher(transport::LocalLink& link) : link_(link) {}

    bool publish(const std::string& topic, const std::string& payload, int qos, bool retain,
                 std::string& error) override {
        return publish_kept(topic, payload, qos, retain, 0, error);
    }

    // The link reports `ticket` to its on_publish_done handler (the C2D journal).
    bool publish_kept(const std::string& topic, const std::string& payload, int qos, bool retain,
                      std::uint64_t ticket, std::string& error) override {
        if (!link_.publish(topic, payload, qos, retain, ticket)) {
            error = "the local link's queue is full";
            return false;
        }
        return true;
    }

  private:
    transport::LocalLink& link_;
};

}  // namespace hubgate::core
