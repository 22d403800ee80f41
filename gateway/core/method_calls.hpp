#pragma once
// Direct methods between the hub and legacy devices, on the hub thread (the session manager's,
// which also runs the sessions, the spool sender and the downlink router). The router hands a
// rendered call over; the device's reply, read by the local link, is posted here; one timer
// answers 504 for the call whose deadline comes first. Every answer goes straight to the
// device's session (HubLink::reply_method), with no other thread in between.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/core/bridge_counters.hpp"
#include "gateway/core/hub_link.hpp"
#include "gateway/core/method_table.hpp"
#include "gateway/session/clock.hpp"
#include "gateway/session/session_listener.hpp"
#include "hubgate/mappings/route.hpp"

namespace hubgate::core {

// The hub thread, as the method calls use it: run a task there now, or at a time.
struct HubThread {
    std::function<void(std::function<void()>)> run;
    std::function<void(SteadyTime, std::function<void()>)> run_at;
    const session::Clock& clock;
};

// The pending direct-method calls and their one timer.
class MethodCalls {
  public:
    // `hub` answers the calls; every method below but post_reply() runs on `thread` only.
    MethodCalls(HubLink& hub, BridgeCounters& counters, HubThread thread)
        : hub_(hub), counters_(counters), thread_(std::move(thread)) {}

    // The call is about to be published to its device and waits for the reply until `timeout`
    // from now. False when the device has a call pending under the same rid already: the
    // duplicate is counted (downlink_failed) and must not be published.
    bool handed(const session::MethodCall& call, std::chrono::milliseconds timeout);
    // The call handed() took could not be published after all: forgets it and answers `status`.
    void withdraw(const session::MethodCall& call, int status, std::string why);
    // Answers a call that never reached the device (no rule, refused topic, too large).
    void refuse(const session::MethodCall& call, int status, std::string why);
    // A legacy device's reply, from any thread (the uplink pipeline, on the local link's): posted
    // to the hub thread, where it answers the call it names (by rid, or the device's oldest
    // pending call) or, when none is pending, is counted as unmatched_reply. `topic` is the
    // local topic it came on, for that count.
    void post_reply(const mappings::UplinkRoute& reply, std::string_view topic);
    // The device's session is no longer connected: the hub has failed its pending calls with
    // it, so they are forgotten (a late reply counts as unmatched).
    void session_lost(const std::string& device_id);
    std::size_t pending() const { return table_.size(); }

  private:
    struct Reply {
        ReplyKey key;
        int status = 200;
        std::string payload;
        std::string topic;
    };
    void reply(const Reply& reply);
    // Makes sure the one timer fires at the table's earliest deadline.
    void arm();
    void on_timer(std::uint64_t generation);
    void answer(const std::string& device_id, const std::string& rid, int status,
                const std::string& payload);

    HubLink& hub_;
    BridgeCounters& counters_;
    HubThread thread_;
    MethodTable table_;
    // When the live timer fires; a timer of an older generation does nothing.
    std::optional<SteadyTime> armed_for_;
    std::uint64_t timer_generation_ = 0;
};

}  // namespace hubgate::core
