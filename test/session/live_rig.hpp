#pragma once
// Real device sessions (Paho, TLS) run by a session manager, with a listener tests can wait on.

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "gateway/session/session_manager.hpp"
#include "gateway/transport/upstream_factory.hpp"

namespace hubgate::session::test {

using namespace std::chrono_literals;

// Records downlinks and state changes; wait() blocks (bounded) until a condition holds.
class WaitingListener final : public SessionListener {
  public:
    void on_c2d(const C2dMessage& m) override {
        update([&] { c2d.push_back(m); });
    }
    void on_method(const MethodCall& m) override {
        update([&] { methods.push_back(m); });
        if (method_hook) {
            method_hook(m);
        }
    }
    void on_desired(const DesiredUpdate& u) override {
        update([&] { desired.push_back(u); });
    }
    void on_state(const std::string& device, SessionState s) override {
        update([&] {
            state[device] = s;
            entered[device][s]++;
        });
    }

    template <typename Predicate>
    bool wait(Predicate predicate, std::chrono::milliseconds timeout = 20s) {
        std::unique_lock lock(mutex);
        return changed.wait_for(lock, timeout, predicate);
    }
    bool wait_state(const std::string& device, SessionState s,
                    std::chrono::milliseconds timeout = 20s) {
        return wait([&] { return state.count(device) && state[device] == s; }, timeout);
    }
    int times_entered(const std::string& device, SessionState s) {
        std::lock_guard lock(mutex);
        return entered[device][s];
    }

    std::function<void(const MethodCall&)> method_hook;  // set before sessions start
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<C2dMessage> c2d;
    std::vector<MethodCall> methods;
    std::vector<DesiredUpdate> desired;
    std::map<std::string, SessionState> state;
    std::map<std::string, std::map<SessionState, int>> entered;

  private:
    template <typename Change>
    void update(Change change) {
        {
            std::lock_guard lock(mutex);
            change();
        }
        changed.notify_all();
    }
};

inline ManagerOptions live_manager_options() {
    ManagerOptions options;
    options.connect_rate = 100;
    return options;
}

// A running session manager with Paho upstreams.
struct LiveRig {
    LiveRig(SessionOptions session, ManagerOptions manager = live_manager_options())
        : options(std::move(session)), sessions(options, manager, factory, listener, clock) {}

    void start() { sessions.start(); }
    SessionSnapshot snapshot(const std::string& id) {
        for (auto& snap : sessions.snapshot()) {
            if (snap.device_id == id) {
                return snap;
            }
        }
        return {};
    }

    // Polls the session's snapshot (outside the listener's lock: snapshot() waits for the
    // manager, whose callbacks take that lock) until `predicate` holds or `timeout` passes.
    template <typename Predicate>
    bool wait_snapshot(const std::string& id, Predicate predicate,
                       std::chrono::milliseconds timeout = 20s) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            if (predicate(snapshot(id))) {
                return true;
            }
            if (std::chrono::steady_clock::now() >= deadline) {
                return false;
            }
            std::unique_lock lock(listener.mutex);
            listener.changed.wait_for(lock, 50ms);
        }
    }

    SessionOptions options;
    transport::DefaultUpstreamFactory factory{!options.http_proxy.empty()};
    WaitingListener listener;
    SystemClock clock;
    SessionManager sessions;
};

}  // namespace hubgate::session::test
