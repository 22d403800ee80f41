#include "gateway/daemon/shutdown_signals.hpp"

#include <pthread.h>
#include <signal.h>

#include <cerrno>

namespace hubgate::daemon {

namespace {

sigset_t handled_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    return set;
}

}  // namespace

void ShutdownSignals::block() {
    const sigset_t set = handled_signals();
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    // A local broker that goes away must not kill the process through a write to its socket.
    signal(SIGPIPE, SIG_IGN);
}

std::optional<int> ShutdownSignals::wait(std::chrono::milliseconds timeout) {
    const sigset_t set = handled_signals();
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(timeout);
    timespec wait_for{};
    wait_for.tv_sec = static_cast<time_t>(seconds.count());
    wait_for.tv_nsec = static_cast<long>((timeout - seconds).count()) * 1000000L;
    const int sig = sigtimedwait(&set, nullptr, &wait_for);
    if (sig < 0) {
        return std::nullopt;  // EAGAIN (timeout) or EINTR
    }
    return sig;
}

}  // namespace hubgate::daemon
