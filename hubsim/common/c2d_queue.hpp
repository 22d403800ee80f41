#pragma once
// Cloud-to-device messages waiting for a device: at most 50, each with an expiry time.

#include <chrono>
#include <cstddef>
#include <deque>
#include <string>
#include <vector>

#include "hubsim/common/property_bag.hpp"

namespace hubsim {

// One C2D message; its topic property bag carries $.mid, $.to and the application properties.
struct C2dMessage {
    std::string message_id;
    std::string payload;
    PropertyBag properties;
    std::chrono::system_clock::time_point expires;
};

// The hub-side queue of one device (not thread-safe: the hub's lock guards it).
class C2dQueue {
  public:
    static constexpr size_t kMaxPending = 50;

    // False (and nothing queued) when the queue is full.
    bool push(C2dMessage message);
    // Puts messages back at the front, in order (redelivery); may exceed the cap.
    void push_front(std::vector<C2dMessage> messages);
    // Drops expired messages; returns how many.
    size_t expire(std::chrono::system_clock::time_point now);
    std::vector<C2dMessage> take_all();
    size_t size() const { return messages_.size(); }

  private:
    std::deque<C2dMessage> messages_;
};

}  // namespace hubsim
