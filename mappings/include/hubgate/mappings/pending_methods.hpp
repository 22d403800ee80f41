#pragma once
// Direct-method requests forwarded to legacy devices and not answered yet, so that a reply can
// be correlated by its request id or, for devices that cannot echo one, with the oldest pending
// request of that device (and method). Pure bookkeeping: the caller supplies the time.

#include <chrono>
#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hubgate/mappings/route.hpp"

namespace hubgate::mappings {

// One method request waiting for the device's reply.
struct PendingMethod {
    std::string device_id;
    std::string method;
    std::string rid;
    std::chrono::steady_clock::time_point deadline;
};

// Pending method requests in arrival order. Not thread-safe.
class PendingMethods {
  public:
    void add(PendingMethod request);
    // The request with this rid (and device), removed; nullopt when none.
    std::optional<PendingMethod> take(std::string_view device_id, std::string_view rid);
    // The oldest request of the device for `method` ("" = any method), removed.
    std::optional<PendingMethod> take_oldest(std::string_view device_id, std::string_view method);
    // Correlates a method_reply route with take() or take_oldest(), as the route says.
    std::optional<PendingMethod> take_for(const UplinkRoute& reply);
    // Removes and returns the requests whose deadline is at or before `now`.
    std::vector<PendingMethod> expire(std::chrono::steady_clock::time_point now);
    std::size_t size() const { return pending_.size(); }

  private:
    std::deque<PendingMethod> pending_;
};

}  // namespace hubgate::mappings
