#pragma once
// One thread that runs posted tasks in order: lets a session callback hand work that waits for
// the disk to another thread (the desired-state store's write and fsync, then the publish).

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace hubgate::core {

// A single-threaded task runner.
class WorkQueue {
  public:
    WorkQueue();
    ~WorkQueue();  // runs what is queued, then joins
    WorkQueue(const WorkQueue&) = delete;
    WorkQueue& operator=(const WorkQueue&) = delete;

    void post(std::function<void()> task);

  private:
    void run();

    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::function<void()>> tasks_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace hubgate::core
