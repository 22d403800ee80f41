#include "gateway/core/work_queue.hpp"

#include "gateway/liveness/thread_heartbeat.hpp"

namespace hubgate::core {

WorkQueue::WorkQueue() : thread_([this] { run(); }) {}

WorkQueue::~WorkQueue() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
}

void WorkQueue::post(std::function<void()> task) {
    {
        std::lock_guard lock(mutex_);
        tasks_.push_back(std::move(task));
    }
    wake_.notify_one();
}

void WorkQueue::run() {
    liveness::Heartbeat heartbeat("deferred work");
    std::unique_lock lock(mutex_);
    for (;;) {
        heartbeat.beat();
        if (!wake_.wait_for(lock, liveness::kMaxIdleWait,
                            [this] { return stopping_ || !tasks_.empty(); })) {
            continue;  // idle: turn round to beat
        }
        if (tasks_.empty()) {
            return;  // stopping, and everything posted has run
        }
        auto task = std::move(tasks_.front());
        tasks_.pop_front();
        lock.unlock();
        task();
        lock.lock();
    }
}

}  // namespace hubgate::core
