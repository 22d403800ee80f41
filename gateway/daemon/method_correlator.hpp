#pragma once
// Direct-method requests handed to legacy devices and not answered yet, shared by the downlink
// side (adds) and the uplink side (takes, when a reply arrives). A thread-safe PendingMethods.

#include <chrono>
#include <mutex>
#include <optional>
#include <vector>

#include "hubgate/mappings/pending_methods.hpp"

namespace hubgate::daemon {

// Correlates method replies with the requests they answer.
class MethodCorrelator {
  public:
    void add(mappings::PendingMethod request);
    // The request a method_reply route answers (by its rid, or the device's oldest one).
    std::optional<mappings::PendingMethod> take_for(const mappings::UplinkRoute& reply);
    // Forgets requests past their deadline (the session has answered the hub 504 by then).
    std::vector<mappings::PendingMethod> expire(std::chrono::steady_clock::time_point now);
    std::size_t size() const;

  private:
    mutable std::mutex mutex_;
    mappings::PendingMethods pending_;
};

}  // namespace hubgate::daemon
