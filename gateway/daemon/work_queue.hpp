#pragma once
// One thread that runs posted tasks in order: lets a session callback hand work that calls back
// into the session manager to another thread (callbacks must never do that themselves).

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace hubgate::daemon {

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

}  // namespace hubgate::daemon
