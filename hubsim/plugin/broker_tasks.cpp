// Broker-thread task queue and its wake-up signal.
#include "hubsim/plugin/broker_tasks.hpp"

#include <signal.h>

#include <cstring>

namespace hubsim {

// Signals a waiter that its task ran (or was abandoned at shutdown).
struct Completion {
    std::mutex mutex;
    std::condition_variable changed;
    bool finished = false;
    bool ran = false;
};

namespace {

// Does nothing: its only purpose is to make epoll_wait return EINTR.
extern "C" void on_wake_signal(int) {}

void finish(Completion& done, bool ran) {
    {
        std::lock_guard lock(done.mutex);
        done.finished = true;
        done.ran = ran;
    }
    done.changed.notify_all();
}

}  // namespace

int BrokerTasks::wake_signal() {
    return SIGRTMIN + 7;
}

BrokerTasks::BrokerTasks() : broker_thread_(pthread_self()) {
    struct sigaction action;
    std::memset(&action, 0, sizeof action);
    action.sa_handler = on_wake_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;  // no SA_RESTART: epoll_wait must return early
    sigaction(wake_signal(), &action, nullptr);
}

BrokerTasks::~BrokerTasks() {
    shut_down();
    // The handler stays installed: a signal still in flight must not kill the broker.
}

void BrokerTasks::wake() {
    pthread_kill(broker_thread_, wake_signal());
}

void BrokerTasks::post(std::function<void()> task) {
    {
        std::lock_guard lock(mutex_);
        if (shut_down_)
            return;
        queue_.push_back(Entry{std::move(task), nullptr});
    }
    wake();
}

bool BrokerTasks::run(std::function<void()> task, std::chrono::milliseconds timeout) {
    auto done = std::make_shared<Completion>();
    {
        std::lock_guard lock(mutex_);
        if (shut_down_)
            return false;
        queue_.push_back(Entry{std::move(task), done});
    }
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::unique_lock lock(done->mutex);
    while (!done->finished) {
        wake();
        auto next =
            std::min(deadline, std::chrono::steady_clock::now() + std::chrono::milliseconds(1));
        done->changed.wait_until(lock, next, [&] { return done->finished; });
        if (!done->finished && std::chrono::steady_clock::now() >= deadline)
            return false;
    }
    return done->ran;
}

void BrokerTasks::run_pending() {
    // A vector: an empty one costs no allocation, and the tick comes with every broker loop
    // iteration, nearly always with nothing queued.
    std::vector<Entry> batch;
    {
        std::lock_guard lock(mutex_);
        batch.swap(queue_);
    }
    for (auto& entry : batch) {
        try {
            entry.task();
        } catch (...) {
            // A failing task must not unwind into mosquitto; its waiter learns it did not run.
            if (entry.done)
                finish(*entry.done, false);
            continue;
        }
        if (entry.done)
            finish(*entry.done, true);
    }
}

void BrokerTasks::shut_down() {
    std::vector<Entry> abandoned;
    {
        std::lock_guard lock(mutex_);
        shut_down_ = true;
        abandoned.swap(queue_);
    }
    for (auto& entry : abandoned) {
        if (entry.done)
            finish(*entry.done, false);
    }
}

}  // namespace hubsim
