#pragma once
// Hands work from other threads (the HTTPS service) to mosquitto's broker thread, the only
// thread allowed to publish or kick. The broker runs queued tasks from its MOSQ_EVT_TICK; a
// spare real-time signal sent to the broker thread interrupts its epoll_wait (up to 100 ms
// otherwise) so the tick comes at once. A signal that lands just before epoll_wait is lost to
// the race, so waiters send it again every millisecond until their task has run.

#include <pthread.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace hubsim {

struct Completion;

// Work queue drained by the broker thread; thread-safe.
class BrokerTasks {
  public:
    // Must be called on the broker thread (plugin init): remembers it and installs the handler.
    BrokerTasks();
    ~BrokerTasks();
    BrokerTasks(const BrokerTasks&) = delete;
    BrokerTasks& operator=(const BrokerTasks&) = delete;

    // Queues `task` and waits until the broker thread has run it; false on timeout or shutdown.
    bool run(std::function<void()> task, std::chrono::milliseconds timeout);
    // Queues `task` without waiting.
    void post(std::function<void()> task);
    // Broker thread: runs everything queued so far.
    void run_pending();
    // Fails every waiting and future run() at once (cleanup, before joining service threads).
    void shut_down();

    static int wake_signal();

  private:
    struct Entry {
        std::function<void()> task;
        std::shared_ptr<Completion> done;
    };
    void wake();

    pthread_t broker_thread_;
    std::mutex mutex_;
    std::vector<Entry> queue_;
    bool shut_down_ = false;
};

}  // namespace hubsim
