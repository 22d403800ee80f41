#pragma once
// SIGTERM, SIGINT and SIGHUP handled synchronously: they are blocked in every thread (call
// block() before starting any) and the main thread waits for them with sigtimedwait, so no
// code runs in a signal handler.

#include <chrono>
#include <optional>

namespace hubgate::daemon {

// The signals the daemon reacts to.
class ShutdownSignals {
  public:
    // Blocks SIGTERM, SIGINT and SIGHUP in the calling thread and in threads it starts later.
    static void block();
    // Waits up to `timeout` for one of them; returns its number, or nullopt on timeout.
    static std::optional<int> wait(std::chrono::milliseconds timeout);
};

}  // namespace hubgate::daemon
