#pragma once
// Drains the spool through the device sessions: per device in append order, at most the spool's
// window in flight, a message removed only once the hub acknowledged it. A device whose session
// is down waits (its messages stay spooled) without holding up the others, and resumes when its
// session is connected again.
//
// The spool holds three kinds of uplink (spool::RecordKind), dispatched with a switch:
//  - telemetry: a D2C message, finished on the hub's PUBACK;
//  - reported: a reported-properties patch (payload: the JSON object), finished when the hub
//    answers 2xx; refused for good on another 4xx; kept on no answer, 429 or 5xx. One PATCH per
//    device is out at a time: the patches that pile up behind it, or while the session is not
//    connected, go up together as one merged PATCH (reported_merge.hpp), and each of their
//    records is finished only by that PATCH's answer. A patch that goes up alone is sent as the
//    device wrote it, never parsed here;
//  - twin_get: a twin GET a legacy device asked for (the record carries the device's request id
//    and the rule's reply topic), finished once the hub's answer was handed to the twin-answer
//    callback.
// A record is used up when it is sent: its payload and properties move into the session's
// publish.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "gateway/core/bridge_counters.hpp"
#include "gateway/core/hub_link.hpp"
#include "gateway/session/session_listener.hpp"
#include "gateway/session/session_state.hpp"
#include "gateway/spool/spool.hpp"
#include "hubgate/mappings/route.hpp"

namespace hubgate::core {

// Where the hub's answer to a spooled twin GET goes (the downlink router, in the daemon).
using TwinAnswerFn =
    std::function<void(const mappings::UplinkRoute& route, const session::TwinResult& result)>;

// Runs a task on the thread the sender shares (in the daemon, the session manager's).
using Executor = std::function<void(std::function<void()>)>;

// The spool's drain loop. It has no thread of its own: it runs on the thread of `executor`, and
// every call below only posts an event there. In the daemon that is the session manager's thread,
// so a message goes from the spool to its session and its acknowledgement comes back without a
// hand-off between threads; publish results still reach the sender as posted events, so it never
// calls back into the manager from inside a session callback.
class SpoolSender {
  public:
    // `twin_answer` receives the hub's answers to spooled twin GETs; `space_freed` is called
    // after acks freed spool space, to resume a paused reader. Both on the executor's thread.
    SpoolSender(spool::Spool& spool, HubLink& hub, BridgeCounters& counters, Executor executor,
                TwinAnswerFn twin_answer = {}, std::function<void()> space_freed = {});
    ~SpoolSender();
    SpoolSender(const SpoolSender&) = delete;
    SpoolSender& operator=(const SpoolSender&) = delete;

    // Events posted before start() wait for it.
    void start();
    // Returns once no event is being handled; later events wait for the next start(). What is
    // still in flight stays in the spool.
    void stop();

    // The device has new messages in the spool.
    void notify(std::string device_id);
    // The device's session changed state (Connected resumes a waiting device).
    void session_state(const std::string& device_id, session::SessionState state);
    // Looks at the devices waiting for their session (call about once a second: without it a
    // waiting device resumes only on its session's next state change).
    void tick();

    // How long a device waits after a failed send before trying again when no state change
    // arrives (the session may already be back).
    static constexpr std::chrono::seconds kRetryAfter{2};

  private:
    struct Notify {
        std::string device_id;
    };
    // What became of one message handed to a session.
    enum class Delivery : uint8_t {
        delivered,  // the hub took it: finished
        refused,    // refused for good (already counted and logged): finished
        retry,      // not delivered now: the device waits for its session, then sends it again
    };
    struct Result {
        std::string device_id;
        uint64_t seq;
        Delivery delivery;
    };
    // The hub's answer to one (maybe merged) reported PATCH, for every record in it.
    struct PatchResult {
        std::string device_id;
        std::vector<uint64_t> seqs;
        Delivery delivery;
    };
    struct StateChange {
        std::string device_id;
        session::SessionState state;
    };
    struct Tick {};
    using Event = std::variant<Notify, Result, PatchResult, StateChange, Tick>;
    class Inbox;

    // Per-device progress, touched only by the sender thread.
    struct DeviceProgress {
        bool waiting = false;  // a send failed: wait for the session before taking more
        std::chrono::steady_clock::time_point waiting_since{};
        bool connected = true;         // the session's last state (none seen yet: assume it is)
        bool patch_in_flight = false;  // a reported PATCH is with the session
        // Reported patches taken from the spool (in flight there) that wait to go up merged.
        std::vector<spool::SpooledMessage> held_patches;
    };

    void handle_batch(const std::vector<Event>& batch);
    void handle(const Notify& event);
    void handle(const Result& event);
    void handle(const PatchResult& event);
    void handle(const StateChange& event);
    void handle(const Tick& /*event*/) {}
    void resume(const std::string& device_id);
    void pump(const std::string& device_id);
    // Hands one record to the device's session, by kind (reported patches go through
    // send_held_patches()).
    void send(const std::string& device_id, spool::SpooledMessage spooled);
    void send_telemetry(const std::string& device_id, spool::SpooledMessage spooled);
    // Sends the device's held reported patches (and those right behind them in the spool) as
    // one PATCH, when none is out and the session is connected.
    void send_held_patches(const std::string& device_id);
    void mark_waiting(DeviceProgress& progress, const std::string& device_id);
    // Composes the held patches (as many as fit in one PATCH) into `body`, the records it stands
    // for into `seqs`, and takes them out of `held`; false when none could go.
    bool merge_held_patches(const std::string& device_id, std::vector<spool::SpooledMessage>& held,
                            std::string& body, std::vector<std::uint64_t>& seqs);
    void send_twin_get(const std::string& device_id, spool::SpooledMessage spooled);
    void retry_waiting_devices();

    spool::Spool& spool_;
    HubLink& hub_;
    BridgeCounters& counters_;

    // Shared with the callbacks handed to the sessions: one that comes after the sender is gone
    // posts into a closed inbox instead of a dangling sender.
    std::shared_ptr<Inbox> inbox_;

    // Executor's thread only.
    std::map<std::string, DeviceProgress, std::less<>> devices_;
    const std::function<void()> space_freed_;
    const TwinAnswerFn twin_answer_;
    std::vector<spool::SpooledMessage> taken_;  // pump()'s buffer, emptied after each use
    bool freed_in_batch_ = false;
    // Waiting devices are looked at this often, not after every batch: the walk covers every
    // device, and batches come as often as acknowledgements do.
    static constexpr std::chrono::milliseconds kRetryCheckEvery{250};
    std::chrono::steady_clock::time_point next_retry_check_{};
};

}  // namespace hubgate::core
