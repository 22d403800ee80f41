#pragma once
// Owns every device session: creates them on demand and at start-up, paces new connections
// and twin operations with token buckets (the hub's published limits), closes idle sessions
// that carry no downlink, and reports per-session state. One thread runs all session logic;
// the public methods are safe from any thread and return without waiting (except snapshot(),
// which waits, and reply_method(), which is for the manager's own thread).

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "gateway/session/c2d_keeper.hpp"
#include "gateway/session/clock.hpp"
#include "gateway/session/device_session.hpp"
#include "gateway/session/hub_close_history.hpp"
#include "gateway/session/session_host.hpp"
#include "gateway/session/session_listener.hpp"
#include "gateway/session/session_options.hpp"
#include "gateway/session/token_bucket.hpp"
#include "gateway/transport/event_batch.hpp"
#include "gateway/transport/upstream.hpp"

namespace hubgate::session {

// The set of device sessions of one gateway process.
class SessionManager final : private SessionHost, private transport::EventBatchSink {
  public:
    // `c2d_keeper`: where C2D messages are kept before the hub gets their PUBACK
    // (c2d_keeper.hpp); nullptr: none are kept. It must outlive the manager.
    SessionManager(SessionOptions session_options, ManagerOptions manager_options,
                   transport::UpstreamFactory& upstream, SessionListener& listener,
                   const Clock& clock, C2dKeeper* c2d_keeper = nullptr,
                   UniformRandom random = default_random());
    ~SessionManager() override;
    SessionManager(const SessionManager&) = delete;
    SessionManager& operator=(const SessionManager&) = delete;

    // Runs the manager's loop on its own thread. Without start(), call run_pending() instead.
    void start();
    // Closes every session (DISCONNECT), waits up to `grace` for them, and joins the thread.
    void stop(Millis grace = Millis(5000));

    // Opens (or widens the needs of) a device's session; it connects when the rate allows.
    void ensure_session(const std::string& device_id, const DeviceNeeds& needs);
    void close_session(const std::string& device_id);
    // Starts a session again after it was refused or replaced (the operator's decision), or
    // connects a connected one again: its credentials changed (a new DPS assignment).
    void restart_session(const std::string& device_id);

    // Sends telemetry; `done` reports Acked once the hub acknowledged it, anything else when it
    // was not delivered (to be sent again). Opens the device's session if it has none. Returns
    // the handle that `done` is called with.
    uint64_t publish_telemetry(const std::string& device_id, Properties properties,
                               std::string payload, PublishCallback done);
    // The same with the caller's own handle (the spool's seq) and message id (sent as $.mid
    // unless the properties carry one): properties and payload move on to the TLS write without
    // a copy.
    void publish_telemetry(const std::string& device_id, uint64_t handle, Properties properties,
                           std::string_view message_id, std::string payload, PublishCallback done);
    void get_twin(const std::string& device_id, TwinCallback done);
    void patch_reported(const std::string& device_id, nlohmann::json patch, TwinCallback done);
    // `body`: a reported patch's JSON text (an object), sent as it is.
    void patch_reported(const std::string& device_id, std::string body, TwinCallback done);
    // Answers a method call handed down by SessionListener::on_method, at once. On the
    // manager's thread only (a listener callback, or a task it runs): whoever keeps the pending
    // calls lives there. False, and nothing is sent, when the device's session is not connected
    // (the hub failed its calls when the session ended).
    bool reply_method(const std::string& device_id, const std::string& rid, int status,
                      const std::string& payload);

    // Runs `task` on the manager's thread after what is already queued (at the next
    // run_pending() without a thread). For a part that shares the thread, like the spool sender;
    // `task` must not call into the manager except through its public methods.
    void execute(std::function<void()> task) { post(std::move(task)); }
    // Like execute(), but not before `when` (the manager's clock). Tasks still waiting when the
    // manager stops are dropped.
    void execute_at(SteadyTime when, std::function<void()> task);

    // Every session's state and counters. Waits for the loop; do not call from a callback.
    std::vector<SessionSnapshot> snapshot();
    // The same, but nothing when the loop has not answered `within` (a thread that must keep
    // going, like the main loop that feeds the watchdog, while a plugin hook holds the loop).
    std::optional<std::vector<SessionSnapshot>> snapshot_within(
        std::optional<std::chrono::milliseconds> within);

    // Without a thread (unit tests): runs queued work, then the timers, at clock.now().
    void run_pending();

  private:
    class Relay;
    // Run on the manager's thread; made per message (publish results), so kept in place.
    using Task = transport::EventTask;

    void post(Task task);
    // EventBatchSink: the upstream loop's events of one turn, at once.
    void post_batch(std::vector<Task>& tasks) override;
    void loop();
    void run_timers(SteadyTime now, bool tick_all);
    // Runs the execute_at() tasks that are due.
    void run_due_tasks(SteadyTime now);
    void start_queued_connects(SteadyTime now);
    SteadyTime next_wake(SteadyTime now);
    DeviceSession* find(const std::string& device_id, uint64_t serial);
    DeviceSession& session_for(const std::string& device_id, const DeviceNeeds& needs);
    void retire(std::unique_ptr<DeviceSession> session, SteadyTime now);
    void do_close(const std::string& device_id);

    // SessionHost
    double uniform01() override { return random_(); }
    WallTime wall_now() override { return clock_.wall_now(); }
    SessionListener& listener() override { return listener_; }
    C2dKeeper* c2d_keeper() override { return c2d_keeper_; }
    void request_connect_slot(DeviceSession& session) override;
    void connects_throttled(SteadyTime now) override;
    bool try_twin_slot(TwinOpKind kind, SteadyTime now) override;
    void twin_throttled(TwinOpKind kind, SteadyTime now) override;
    void note_hub_close(SteadyTime at) override { hub_closes_.record(at); }
    std::unique_ptr<transport::UpstreamConnection> connection_to(
        const std::string& server_uri, const std::string& device_id,
        transport::UpstreamEvents& events) override {
        return upstream_.create(server_uri, device_id, events);
    }
    bool hub_close_shared(SteadyTime at) override {
        return close_was_shared(hub_closes_, at, session_options_.shared_close_radius,
                                sessions_.size());
    }

    const SessionOptions session_options_;
    const ManagerOptions manager_options_;
    transport::UpstreamFactory& upstream_;
    SessionListener& listener_;
    const Clock& clock_;
    UniformRandom random_;
    std::string server_uri_;
    C2dKeeper* const c2d_keeper_;  // read on every thread

    // Loop thread only.
    std::map<std::string, std::unique_ptr<DeviceSession>> sessions_;
    std::vector<std::pair<std::unique_ptr<DeviceSession>, SteadyTime>> closing_;
    std::deque<std::pair<std::string, uint64_t>> connect_queue_;
    // Sessions whose connect is under way (device id, serial), at most max_connecting; pruned
    // only while sessions wait for a connect slot.
    std::vector<std::pair<std::string, uint64_t>> connecting_;
    TokenBucket connect_bucket_;
    TokenBucket twin_read_bucket_;
    TokenBucket twin_update_bucket_;
    HubCloseHistory hub_closes_;
    SteadyTime last_connect_slowdown_{};
    SteadyTime last_twin_slowdown_{};
    SteadyTime last_idle_sweep_{};
    SteadyTime next_session_tick_{};
    uint64_t last_serial_ = 0;

    // Shared with callers.
    std::mutex mutex_;
    std::condition_variable wake_;
    std::vector<Task> tasks_;
    // execute_at(), by when they are due (few and long-lived: a plain std::function each).
    std::multimap<SteadyTime, std::function<void()>> timed_tasks_;
    bool stopping_ = false;
    Millis stop_grace_{5000};
    std::atomic<uint64_t> last_handle_{0};
    std::thread thread_;
    std::thread::id loop_thread_id_;
};

}  // namespace hubgate::session
