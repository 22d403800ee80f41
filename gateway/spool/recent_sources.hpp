#pragma once
// The latest messages stored, keyed by their local MQTT packet id, to recognise the local broker
// redelivering one of them (it resends, after a reconnect, every message whose PUBACK it had not
// processed, with the same packet id; also after a crash of hubgate, and long after the message
// was sent upstream). The broker numbers a session's messages sequentially (16-bit ids), so
// within one id cycle a packet id names one message; when the broker starts a new session (ids
// restart), forget(). The window is also on disk (source_log.hpp), so it survives a restart.

#include <array>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

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
    // MQTT packet ids are 16 bits: a window this large spans a whole cycle of them.
    static constexpr std::size_t kMaxCapacity = 65535;

    // `capacity` is capped at kMaxCapacity.
    explicit RecentSources(std::size_t capacity = 4096);

    // Appends an entry (seq above every remembered one, as appends come). Packet id 0 (QoS 0),
    // ids above 16 bits and ids longer than a UUID are not remembered.
    void remember(const Entry& entry);
    // Merges entries of any order (sources.log read at start-up) with those remembered: the
    // window is then the `capacity` highest seqs of both, one entry per seq. An entry with packet
    // id 0 is a floor (written by forget()): entries below its seq are dropped.
    void restore(std::vector<Entry> entries);
    // The stored message with this packet id and the same content, if it is still remembered.
    std::optional<Entry> find(std::uint32_t packet_id, std::uint64_t digest) const;
    // A message with this packet id arrived and was not stored: the one remembered under the id
    // (from an earlier cycle of ids) can no longer be redelivered.
    void drop(std::uint32_t packet_id);
    // The window, oldest first (to write it to sources.log).
    std::vector<Entry> entries() const;
    // Forgets everything, and from now on every entry below seq `floor` (the records stored in
    // the spool in an earlier broker session, still found by recovery).
    void forget(std::uint64_t floor = 0);
    std::uint64_t floor() const { return floor_; }
    std::size_t size() const { return order_.size(); }
    std::size_t capacity() const { return capacity_; }

  private:
    // One remembered message in 64 bytes, without a heap allocation: the window may hold tens of
    // thousands of them.
    struct Slot {
        std::uint64_t digest = 0;
        std::uint64_t seq = 0;
        std::uint16_t packet_id = 0;
        std::uint8_t mid_size = 0;
        std::array<char, 36> mid{};
    };
    static Entry to_entry(const Slot& slot);

    std::size_t capacity_;
    std::deque<Slot> order_;
    // packet id -> 1 + position in order_ counted from the first entry ever (0: none).
    std::vector<std::uint64_t> latest_;
    std::uint64_t popped_ = 0;  // entries evicted so far
    std::uint64_t floor_ = 0;   // entries below this seq belong to an earlier broker session
};

}  // namespace hubgate::spool
