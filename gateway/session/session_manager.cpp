#include "gateway/session/session_manager.hpp"

#include <algorithm>
#include <future>
#include <variant>

#include <spdlog/spdlog.h>

#include "gateway/liveness/thread_heartbeat.hpp"
#include "gateway/session/connect_settings.hpp"
#include "hubgate/iothub/hub_topics.hpp"

namespace hubgate::session {

namespace {

// The manager whose loop runs on this thread, if any: calls made from inside it need no task.
thread_local const SessionManager* running_loop = nullptr;

}  // namespace

namespace {

double default_burst(double rate, double burst) {
    return burst > 0 ? burst : std::max(1.0, rate / 10);
}

// A 429 or a CONNACK 3 halves the rate for a while; further ones compound at most this often.
constexpr auto kSlowdownSpacing = std::chrono::seconds(1);
constexpr auto kIdleSweepEvery = std::chrono::seconds(1);
// How long a closed session may take to finish its DISCONNECT before it is destroyed anyway.
constexpr auto kCloseGrace = std::chrono::seconds(5);

}  // namespace

// Carries one session's upstream events onto the manager's thread. Events for a session that
// is gone (or a newer session of the same device) are dropped there.
class SessionManager::Relay final : public transport::UpstreamEvents {
  public:
    Relay(SessionManager& manager, std::string device_id, uint64_t serial)
        : manager_(manager), device_id_(std::move(device_id)), serial_(serial) {}

    void on_connect_result(const transport::ConnectResult& result) override {
        forward(
            [result](DeviceSession& s, SteadyTime now) { s.handle_connect_result(result, now); });
    }
    void on_connection_lost(const std::string& cause, transport::LossOrigin origin) override {
        forward([cause, origin](DeviceSession& s, SteadyTime now) {
            s.handle_connection_lost(cause, origin, now);
        });
    }
    // On the upstream I/O thread: a C2D message is kept before the hub may have its PUBACK.
    bool on_message(std::string topic, std::string payload) override {
        std::uint64_t ticket = 0;
        if (C2dKeeper* keeper = manager_.c2d_keeper_;
            keeper != nullptr && std::holds_alternative<iothub::C2dTopic>(
                                     iothub::parse_downlink_topic(device_id_, topic))) {
            const auto kept = keeper->keep(device_id_, topic, payload);
            if (!kept) {
                return false;
            }
            ticket = *kept;
        }
        forward([topic = std::move(topic), payload = std::move(payload), ticket](DeviceSession& s,
                                                                                 SteadyTime now) {
            s.handle_message(topic, payload, now, ticket);
        });
        return true;
    }
    void on_subscribe_result(uint64_t tag, bool ok) override {
        forward([tag, ok](DeviceSession& s, SteadyTime now) {
            s.handle_subscribe_result(tag, ok, now);
        });
    }
    void on_publish_result(uint64_t tag, bool ok, const std::string& error) override {
        // A copy of a const string would be a const member, which moves by copying: the task
        // could not be kept in place (transport::EventTask).
        forward([tag, ok, failure = std::string(error)](DeviceSession& s, SteadyTime now) {
            s.handle_publish_result(tag, ok, failure, now);
        });
    }
    void on_disconnected() override {
        forward([](DeviceSession& s, SteadyTime now) { s.handle_disconnected(now); });
    }

  private:
    template <typename Handler>
    void forward(Handler handler) {
        Task task = [&manager = manager_, device_id = device_id_, serial = serial_,
                     handler = std::move(handler)] {
            if (auto* session = manager.find(device_id, serial)) {
                handler(*session, manager.clock_.now());
            }
        };
        transport::EventBatchSink& sink = manager_;
        if (!transport::EventBatch::defer(sink, task)) {
            manager_.post(std::move(task));
        }
    }

    SessionManager& manager_;
    const std::string device_id_;
    const uint64_t serial_;
};

SessionManager::SessionManager(SessionOptions session_options, ManagerOptions manager_options,
                               transport::UpstreamFactory& upstream, SessionListener& listener,
                               const Clock& clock, C2dKeeper* c2d_keeper, UniformRandom random)
    : session_options_(std::move(session_options)),
      manager_options_(manager_options),
      upstream_(upstream),
      listener_(listener),
      clock_(clock),
      random_(std::move(random)),
      server_uri_(server_uri(session_options_)),
      c2d_keeper_(c2d_keeper),
      connect_bucket_(manager_options.connect_rate,
                      default_burst(manager_options.connect_rate, manager_options.connect_burst),
                      clock.now()),
      twin_read_bucket_(manager_options.twin_read_rate,
                        default_burst(manager_options.twin_read_rate, 0), clock.now()),
      twin_update_bucket_(manager_options.twin_update_rate,
                          default_burst(manager_options.twin_update_rate, 0), clock.now()),
      hub_closes_(session_options_.replaced_window + session_options_.shared_close_radius) {}

SessionManager::~SessionManager() {
    stop();
    // Without a thread (or after it ended) the sessions go here; their connections are closed
    // by their destructors.
    closing_.clear();
    sessions_.clear();
}

void SessionManager::start() {
    std::lock_guard lock(mutex_);
    if (thread_.joinable() || stopping_) {
        return;
    }
    thread_ = std::thread([this] { loop(); });
    loop_thread_id_ = thread_.get_id();
}

void SessionManager::stop(Millis grace) {
    {
        std::lock_guard lock(mutex_);
        if (!thread_.joinable()) {
            return;
        }
        stopping_ = true;
        stop_grace_ = grace;
    }
    wake_.notify_all();
    thread_.join();
}

void SessionManager::post(Task task) {
    {
        std::lock_guard lock(mutex_);
        tasks_.push_back(std::move(task));
    }
    wake_.notify_one();
}

void SessionManager::execute_at(SteadyTime when, std::function<void()> task) {
    {
        std::lock_guard lock(mutex_);
        timed_tasks_.emplace(when, std::move(task));
    }
    wake_.notify_one();
}

void SessionManager::run_due_tasks(SteadyTime now) {
    std::vector<std::function<void()>> due;
    {
        std::lock_guard lock(mutex_);
        const auto end = timed_tasks_.upper_bound(now);
        for (auto it = timed_tasks_.begin(); it != end; ++it) {
            due.push_back(std::move(it->second));
        }
        timed_tasks_.erase(timed_tasks_.begin(), end);
    }
    for (auto& task : due) {
        task();
    }
}

void SessionManager::post_batch(std::vector<Task>& tasks) {
    {
        // Moved in, not swapped: tasks_ keeps its capacity (the loop swaps it with its own
        // emptied vector), and the batch keeps the vector it lent.
        std::lock_guard lock(mutex_);
        tasks_.insert(tasks_.end(), std::make_move_iterator(tasks.begin()),
                      std::make_move_iterator(tasks.end()));
    }
    wake_.notify_one();
}

void SessionManager::loop() {
    running_loop = this;
    std::optional<SteadyTime> stop_deadline;
    // Swapped with tasks_ on every turn and cleared after running, so neither side allocates
    // again: a turn per publish must not cost an allocation.
    std::vector<Task> tasks;
    // Session callbacks (downlink plugin hooks among them) and the spool sender run here.
    liveness::Heartbeat heartbeat("session manager");
    for (;;) {
        heartbeat.beat();
        bool stopping = false;
        {
            std::unique_lock lock(mutex_);
            const auto now = clock_.now();
            const auto wake_at = next_wake(now);
            // The loop sleeps on the real steady clock; the injected clock only says what time it
            // is.
            // Once the stop has begun, only tasks (the sessions' close results) and timers wake
            // the loop: waking on stopping_ as well would spin until the sessions are closed.
            const bool stop_begun = stop_deadline.has_value();
            wake_.wait_for(
                lock,
                std::clamp<SteadyTime::duration>(wake_at - now, SteadyTime::duration::zero(),
                                                 liveness::kMaxIdleWait),
                [this, stop_begun, wake_at] {
                    return !tasks_.empty() || (stopping_ && !stop_begun) ||
                           (!timed_tasks_.empty() && timed_tasks_.begin()->first < wake_at);
                });
            tasks.swap(tasks_);
            stopping = stopping_;
        }
        for (auto& task : tasks) {
            task();
        }
        tasks.clear();
        const auto now = clock_.now();
        if (stopping && !stop_deadline) {
            stop_deadline = now + stop_grace_;
            for (auto& [device_id, session] : sessions_) {
                session->close(now);
            }
            for (auto& [device_id, session] : sessions_) {
                closing_.emplace_back(std::move(session), *stop_deadline);
            }
            sessions_.clear();
            connect_queue_.clear();
        }
        run_timers(now, false);
        run_due_tasks(now);
        if (stop_deadline && (closing_.empty() || now >= *stop_deadline)) {
            closing_.clear();
            return;
        }
    }
}

void SessionManager::run_pending() {
    std::vector<Task> tasks;
    {
        std::lock_guard lock(mutex_);
        tasks.swap(tasks_);
    }
    for (auto& task : tasks) {
        task();
    }
    run_timers(clock_.now(), true);
    run_due_tasks(clock_.now());
}

SteadyTime SessionManager::next_wake(SteadyTime now) {
    auto wake = now + manager_options_.tick;
    if (!timed_tasks_.empty()) {  // under mutex_ (the loop's wait)
        wake = std::min(wake, timed_tasks_.begin()->first);
    }
    // With every connect slot taken, a finished connect (a task) wakes the loop instead.
    if (!connect_queue_.empty() && connecting_.size() < manager_options_.max_connecting) {
        wake = std::min(wake, connect_bucket_.next_available(now));
    }
    return wake;
}

DeviceSession* SessionManager::find(const std::string& device_id, uint64_t serial) {
    if (const auto it = sessions_.find(device_id);
        it != sessions_.end() && it->second->serial() == serial) {
        return it->second.get();
    }
    for (auto& [session, deadline] : closing_) {
        if (session->serial() == serial) {
            return session.get();
        }
    }
    return nullptr;
}

DeviceSession& SessionManager::session_for(const std::string& device_id, const DeviceNeeds& needs) {
    auto& slot = sessions_[device_id];
    if (slot) {
        slot->add_needs(needs);
        return *slot;
    }
    const uint64_t serial = ++last_serial_;
    auto relay = std::make_unique<Relay>(*this, device_id, serial);
    auto connection = upstream_.create(server_uri_, device_id, *relay);
    SessionHost& host = *this;
    slot = std::make_unique<DeviceSession>(device_id, needs, session_options_, host, serial,
                                           std::move(relay), std::move(connection));
    slot->start(clock_.now());
    return *slot;
}

void SessionManager::retire(std::unique_ptr<DeviceSession> session, SteadyTime now) {
    session->close(now);
    closing_.emplace_back(std::move(session), now + kCloseGrace);
}

void SessionManager::do_close(const std::string& device_id) {
    const auto it = sessions_.find(device_id);
    if (it == sessions_.end()) {
        return;
    }
    auto session = std::move(it->second);
    sessions_.erase(it);
    retire(std::move(session), clock_.now());
}

void SessionManager::ensure_session(const std::string& device_id, const DeviceNeeds& needs) {
    post([this, device_id, needs] { session_for(device_id, needs); });
}

void SessionManager::close_session(const std::string& device_id) {
    post([this, device_id] { do_close(device_id); });
}

void SessionManager::restart_session(const std::string& device_id) {
    post([this, device_id] {
        if (const auto it = sessions_.find(device_id); it != sessions_.end()) {
            it->second->reconnect(clock_.now());
        }
    });
}

uint64_t SessionManager::publish_telemetry(const std::string& device_id, Properties properties,
                                           std::string payload, PublishCallback done) {
    const uint64_t handle = ++last_handle_;
    publish_telemetry(device_id, handle, std::move(properties), {}, std::move(payload),
                      std::move(done));
    return handle;
}

void SessionManager::publish_telemetry(const std::string& device_id, uint64_t handle,
                                       Properties properties, std::string_view message_id,
                                       std::string payload, PublishCallback done) {
    if (running_loop == this) {
        // Already on the manager's thread (the spool sender runs here): no task, no hop. Never
        // from inside a session callback: the sender posts results to its own inbox.
        session_for(device_id, DeviceNeeds{})
            .publish_telemetry(handle, std::move(properties), message_id, std::move(payload),
                               std::move(done), clock_.now());
        return;
    }
    post([this, device_id, handle, properties = std::move(properties),
          message_id = std::string(message_id), payload = std::move(payload),
          done = std::move(done)]() mutable {
        auto& session = session_for(device_id, DeviceNeeds{});
        session.publish_telemetry(handle, std::move(properties), message_id, std::move(payload),
                                  std::move(done), clock_.now());
    });
}

void SessionManager::get_twin(const std::string& device_id, TwinCallback done) {
    post([this, device_id, done = std::move(done)]() mutable {
        DeviceNeeds needs;
        needs.twin = true;
        session_for(device_id, needs).get_twin(std::move(done), clock_.now());
    });
}

void SessionManager::patch_reported(const std::string& device_id, nlohmann::json patch,
                                    TwinCallback done) {
    post([this, device_id, patch = std::move(patch), done = std::move(done)]() mutable {
        DeviceNeeds needs;
        needs.twin = true;
        session_for(device_id, needs).patch_reported(patch, std::move(done), clock_.now());
    });
}

void SessionManager::patch_reported(const std::string& device_id, std::string body,
                                    TwinCallback done) {
    post([this, device_id, body = std::move(body), done = std::move(done)]() mutable {
        DeviceNeeds needs;
        needs.twin = true;
        session_for(device_id, needs)
            .patch_reported(std::move(body), std::move(done), clock_.now());
    });
}

bool SessionManager::reply_method(const std::string& device_id, const std::string& rid, int status,
                                  const std::string& payload) {
    const auto it = sessions_.find(device_id);
    return it != sessions_.end() && it->second->reply_method(rid, status, payload, clock_.now());
}

std::optional<std::vector<SessionSnapshot>> SessionManager::snapshot_within(
    std::optional<std::chrono::milliseconds> within) {
    auto collect = [this] {
        std::vector<SessionSnapshot> all;
        all.reserve(sessions_.size());
        const auto now = clock_.now();
        const auto wall = clock_.wall_now();
        for (const auto& [device_id, session] : sessions_) {
            all.push_back(session->snapshot(now, wall));
        }
        return all;
    };
    bool threaded = false;
    {
        std::lock_guard lock(mutex_);
        threaded = thread_.joinable() && std::this_thread::get_id() != loop_thread_id_;
    }
    if (!threaded) {
        return collect();
    }
    // Shared with the task: a caller that stops waiting (snapshot_within) leaves it behind.
    auto promise = std::make_shared<std::promise<std::vector<SessionSnapshot>>>();
    auto result = promise->get_future();
    post([promise, collect] { promise->set_value(collect()); });
    if (within && result.wait_for(*within) != std::future_status::ready) {
        return std::nullopt;
    }
    return result.get();
}

std::vector<SessionSnapshot> SessionManager::snapshot() {
    return *snapshot_within(std::nullopt);
}

void SessionManager::request_connect_slot(DeviceSession& session) {
    connect_queue_.emplace_back(session.device_id(), session.serial());
}

void SessionManager::connects_throttled(SteadyTime now) {
    if (now - last_connect_slowdown_ < kSlowdownSpacing) {
        return;
    }
    last_connect_slowdown_ = now;
    connect_bucket_.slow_down(0.5, now + manager_options_.throttle_hold, now);
    spdlog::info("sessions: the hub is refusing connects; pacing at {:.1f}/s for a while",
                 connect_bucket_.current_rate(now));
}

bool SessionManager::try_twin_slot(TwinOpKind kind, SteadyTime now) {
    return (kind == TwinOpKind::Get ? twin_read_bucket_ : twin_update_bucket_).try_take(now);
}

void SessionManager::twin_throttled(TwinOpKind kind, SteadyTime now) {
    if (now - last_twin_slowdown_ < kSlowdownSpacing) {
        return;
    }
    last_twin_slowdown_ = now;
    (kind == TwinOpKind::Get ? twin_read_bucket_ : twin_update_bucket_)
        .slow_down(0.5, now + manager_options_.throttle_hold, now);
}

void SessionManager::start_queued_connects(SteadyTime now) {
    if (connect_queue_.empty()) {
        return;
    }
    std::erase_if(connecting_, [this](const auto& entry) {
        const auto* session = find(entry.first, entry.second);
        return session == nullptr || session->state() != SessionState::Connecting;
    });
    while (!connect_queue_.empty() && connecting_.size() < manager_options_.max_connecting) {
        auto [device_id, serial] = connect_queue_.front();
        auto* session = find(device_id, serial);
        if (session == nullptr || session->state() != SessionState::WaitingToConnect) {
            connect_queue_.pop_front();
            continue;
        }
        if (!connect_bucket_.try_take(now)) {
            break;
        }
        connect_queue_.pop_front();
        session->begin_connect(now);
        if (session->state() == SessionState::Connecting) {
            connecting_.emplace_back(std::move(device_id), serial);
        }
    }
}

void SessionManager::run_timers(SteadyTime now, bool tick_all) {
    // Sessions are ticked once per tick interval, not at every wake-up (a connect token, a
    // PUBACK): with thousands of sessions that would be most of the loop's time.
    // Ticks come first: a session whose back-off ended joins the connect queue in this pass.
    if (tick_all || now >= next_session_tick_) {
        next_session_tick_ = now + manager_options_.tick;
        for (auto& [device_id, session] : sessions_) {
            session->tick(now);
        }
    }
    start_queued_connects(now);
    if (now - last_idle_sweep_ >= kIdleSweepEvery) {
        last_idle_sweep_ = now;
        std::vector<std::string> idle;
        for (const auto& [device_id, session] : sessions_) {
            if (!session->needs().downlink() &&
                now - session->last_activity() >= manager_options_.idle_timeout) {
                idle.push_back(device_id);
            }
        }
        for (const auto& device_id : idle) {
            spdlog::info("session {}: idle; closing", device_id);
            do_close(device_id);
        }
    }
    std::erase_if(closing_, [now](const auto& entry) {
        return entry.first->fully_closed() || now >= entry.second;
    });
}

}  // namespace hubgate::session
