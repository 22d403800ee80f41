#pragma once
// The last few thousand messages stored, keyed by their local MQTT packet id, to recognise the
// local broker redelivering one of them (after a crash or a dropped connection, before its PUBACK
// was released). The broker numbers a session's messages sequentially, so within this window a
// packet id names one message; when the broker starts a new session (ids restart), forget().

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>

namespace hubgate::spool {

// A bounded, insertion-ordered index from packet id to the stored message.
class RecentSources {
  public:
    struct Entry {
        std::uint32_t packet_id = 0;
        std::uint64_t digest = 0;
        std::uint64_t seq = 0;
        std::string mid;
    };

    explicit RecentSources(std::size_t capacity = 4096) : capacity_(capacity) {}

    void remember(Entry entry);
    // The stored message with this packet id and the same content, if it is still remembered.
    std::optional<Entry> find(std::uint32_t packet_id, std::uint64_t digest) const;
    void forget();
    std::size_t size() const { return order_.size(); }

  private:
    std::size_t capacity_;
    std::deque<Entry> order_;
    std::unordered_map<std::uint32_t, std::size_t> latest_;  // packet id -> position in order_
    std::size_t popped_ = 0;                                 // entries evicted so far
};

}  // namespace hubgate::spool
