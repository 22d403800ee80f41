#pragma once
// The direct-method calls handed to legacy devices and not answered yet: the one record of a
// call between the hub's request and its answer. Pure bookkeeping, single-threaded (the hub
// thread runs it, see method_calls.hpp); the caller supplies the time.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hubgate::core {

using SteadyTime = std::chrono::steady_clock::time_point;

// One call waiting for the device's reply.
struct PendingCall {
    std::string device_id;
    std::string method;
    std::string rid;
    SteadyTime handed_at;  // when it was handed to the device (for the round-trip histogram)
    SteadyTime deadline;   // when the hub is answered 504 instead
};

// What a reply names: the request id it echoes, or (for devices that cannot echo one) the
// oldest pending call of the device for `method` ("" = any method).
struct ReplyKey {
    std::string device_id;
    std::string rid;
    std::string method;
    bool oldest_pending = false;
};

// Pending calls by device and request id, in arrival order per device, with their deadlines.
class MethodTable {
  public:
    // False (nothing changes) when the device already has a call pending under `rid`: the hub
    // never reuses a rid on one session, so the second is a duplicate.
    bool add(PendingCall call);
    // The call `reply` answers, removed; nullopt when none is pending.
    std::optional<PendingCall> take(const ReplyKey& reply);
    // Removes and returns the calls whose deadline is at or before `now`, earliest first.
    std::vector<PendingCall> expire(SteadyTime now);
    // Removes and returns every call of the device (its session is gone, and with it the
    // hub's requests: nothing can answer them any more).
    std::vector<PendingCall> drop_device(std::string_view device_id);
    // The earliest deadline of a pending call: when the table's one timer must fire.
    std::optional<SteadyTime> next_deadline() const;
    std::size_t size() const { return calls_.size(); }

  private:
    using Key = std::pair<std::string, std::string>;  // device id, rid
    struct Entry {
        PendingCall call;
        std::uint64_t order;  // arrival order, for "oldest pending"
    };
    // Removes `it` from both indexes.
    PendingCall remove(std::map<Key, Entry, std::less<>>::iterator it);

    std::map<Key, Entry, std::less<>> calls_;
    std::set<std::pair<SteadyTime, Key>> deadlines_;
    std::uint64_t last_order_ = 0;
};

}  // namespace hubgate::core
