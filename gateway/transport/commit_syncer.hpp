#pragma once
// Runs the local link's commit (the spool's fdatasync) on a thread of its own, so that the link
// thread goes on reading while the disk syncs (see local_link.hpp for how the PUBACKs of a batch
// still wait for that batch's sync).
//
// One commit at a time: the link asks for one with request(), keeps reading, and learns the
// outcome from take_done() after `on_done` woke it. The thread beats a liveness heartbeat, so a
// sync that hangs stops the watchdog pings like a hung link thread did when it synced itself.

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

namespace hubgate::transport {

class CommitSyncer {
  public:
    // `commit` runs on the syncer thread; `on_done` runs there after each commit (wake the link).
    CommitSyncer(std::function<bool()> commit, std::function<void()> on_done);
    ~CommitSyncer();  // stop()
    CommitSyncer(const CommitSyncer&) = delete;
    CommitSyncer& operator=(const CommitSyncer&) = delete;

    void start();
    // Finishes a commit under way, then joins.
    void stop();

    // Starts a commit of everything taken so far. At most one at a time: call it only when no
    // commit is under way (busy() is false).
    void request();
    // A commit was requested and its outcome not collected yet.
    bool busy() const { return busy_; }
    // The outcome of the finished commit (true: synced), once; nullopt while it runs.
    std::optional<bool> take_done();
    // Blocks until the commit under way finished; its outcome is then ready for take_done().
    void wait();

  private:
    void run();

    std::function<bool()> commit_;
    std::function<void()> on_done_;
    bool busy_ = false;  // the caller's thread only

    std::mutex mutex_;
    std::condition_variable changed_;
    bool requested_ = false;
    std::optional<bool> outcome_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace hubgate::transport
