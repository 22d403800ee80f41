#pragma once
// Direct-method requests handed to legacy devices and not answered yet, shared by the downlink
// side (adds) and the uplink side (takes, when a reply arrives). A thread-safe PendingMethods
// that also remembers when each request was handed over, for the round-trip histogram.

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "hubgate/mappings/pending_methods.hpp"

namespace hubgate::daemon {

// A pending request taken by its reply, with the moment it was handed to the device.
struct TakenMethod {
    mappings::PendingMethod request;
    std::chrono::steady_clock::time_point handed_at;
};

// Correlates method replies with the requests they answer.
class MethodCorrelator {
  public:
    // Registers a request handed to the device now (steady clock).
    void add(mappings::PendingMethod request);
    void add(mappings::PendingMethod request, std::chrono::steady_clock::time_point handed_at);
    // The request a method_reply route answers (by its rid, or the device's oldest one).
    std::optional<TakenMethod> take_for(const mappings::UplinkRoute& reply);
    // Forgets requests past their deadline (the session has answered the hub 504 by then).
    std::vector<mappings::PendingMethod> expire(std::chrono::steady_clock::time_point now);
    std::size_t size() const;

  private:
    // Removes and returns the hand-over time of a request that left pending_.
    std::chrono::steady_clock::time_point forget(const mappings::PendingMethod& request);

    mutable std::mutex mutex_;
    mappings::PendingMethods pending_;
    // By (device id, rid); equal keys (a hub re-using a rid) keep insertion order, as pending_
    // takes the oldest first.
    std::multimap<std::pair<std::string, std::string>, std::chrono::steady_clock::time_point>
        handed_at_;
};

}  // namespace hubgate::daemon
