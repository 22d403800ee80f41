#pragma once
// Heartbeats of the threads that move messages, so the watchdog can tell a hung thread (a plugin
// hook that never returns, a blocked write) from an idle one.
//
// A loop creates one Heartbeat before it starts and calls beat() on every turn; it must not
// block longer than kMaxIdleWait between turns (poll/wait timeouts are capped to it), so a
// thread that is merely idle still beats. The main loop reads ThreadRegistry::beats() and
// treats a stamp older than its bound as a stuck thread (StallWatch).
//
// The registry is process-wide (process_threads()) because the watchdog is: systemd watches the
// whole process, and the loops live in modules (local link, sessions, daemon) that should not
// have to pass a registry through their constructors to be watched.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace hubgate::liveness {

using Clock = std::chrono::steady_clock;

// The longest a watched loop may wait for work before it turns (and beats) again.
inline constexpr std::chrono::milliseconds kMaxIdleWait{100};

// The last beat of one thread.
struct ThreadBeat {
    std::string name;
    Clock::time_point last_beat;
};

// The heartbeats of the threads alive now. Thread-safe.
class ThreadRegistry {
  public:
    // One thread's stamp; owned by its Heartbeat (or CallWatch), listed here while it lives.
    struct Slot {
        std::string name;
        std::atomic<Clock::rep> last_beat{0};
        // A CallWatch's calls in progress (0: idle, which counts as moving); -1 for a loop's
        // Heartbeat, which is judged by its last beat alone.
        std::atomic<int> calls_in{-1};
    };

    void enlist(Slot& slot);
    void retire(Slot& slot);
    std::vector<ThreadBeat> beats() const;

  private:
    mutable std::mutex mutex_;
    std::vector<Slot*> slots_;
};

// The registry the daemon's watchdog reads.
ThreadRegistry& process_threads();

// A watched thread's heartbeat: listed from construction (which counts as the first beat) to
// destruction. beat() is a clock read and a relaxed store: cheap enough for every loop turn.
class Heartbeat {
  public:
    explicit Heartbeat(std::string name, ThreadRegistry& registry = process_threads());
    ~Heartbeat();
    Heartbeat(const Heartbeat&) = delete;
    Heartbeat& operator=(const Heartbeat&) = delete;

    void beat() {
        slot_.last_beat.store(Clock::now().time_since_epoch().count(), std::memory_order_relaxed);
    }

  private:
    ThreadRegistry& registry_;
    ThreadRegistry::Slot slot_;
};

// A watch over work that runs on threads hubgate does not own (Paho's callback threads for
// sessions over WebSocket or a proxy): they have no loop of ours to beat on, so the calls are
// watched instead. Listed from construction to destruction; while no call is in progress it
// counts as moving, and during a call as having beaten when the call began, so a callback stuck
// longer than the bound (a disk write that never returns) is seen like a stuck loop.
class CallWatch {
  public:
    explicit CallWatch(std::string name, ThreadRegistry& registry = process_threads());
    ~CallWatch();
    CallWatch(const CallWatch&) = delete;
    CallWatch& operator=(const CallWatch&) = delete;

    // A call is in progress for the scope's life. Two atomic operations and a clock read.
    class Call {
      public:
        explicit Call(CallWatch& watch) : slot_(watch.slot_) {
            if (slot_.calls_in.load(std::memory_order_relaxed) == 0) {
                // Stamped before it counts as busy: never judged by an older stamp.
                slot_.last_beat.store(Clock::now().time_since_epoch().count(),
                                      std::memory_order_relaxed);
            }
            slot_.calls_in.fetch_add(1, std::memory_order_release);
        }
        ~Call() { slot_.calls_in.fetch_sub(1, std::memory_order_release); }
        Call(const Call&) = delete;
        Call& operator=(const Call&) = delete;

      private:
        ThreadRegistry::Slot& slot_;
    };

  private:
    ThreadRegistry& registry_;
    ThreadRegistry::Slot slot_;
};

}  // namespace hubgate::liveness
