#pragma once
// The mosquitto broker `hubsim run` supervises: started as a child that dies with hubsim, its
// output going straight to hubsim's stderr.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

namespace hubsim::cli {

// The mosquitto executable: `explicit_path` if given, else `mosquitto` on PATH, else
// /usr/sbin/mosquitto (Debian installs it outside a normal user's PATH). Empty when none.
std::filesystem::path find_mosquitto(const std::optional<std::string>& explicit_path);

class MosquittoChild {
  public:
    // Starts `mosquitto -c config`. SIGINT, SIGTERM and SIGCHLD must already be blocked in the
    // caller (see block_supervisor_signals); the child gets them unblocked and at default.
    MosquittoChild(const std::filesystem::path& executable, const std::filesystem::path& config);
    ~MosquittoChild();  // stops it if still running
    MosquittoChild(const MosquittoChild&) = delete;
    MosquittoChild& operator=(const MosquittoChild&) = delete;

    pid_t pid() const { return pid_; }
    // Reaps the child if it exited; its exit status (128+signal when killed), else nullopt.
    std::optional<int> poll_exit();
    // SIGTERM, then SIGKILL after `grace`; returns its exit status.
    int stop(std::chrono::milliseconds grace);

  private:
    pid_t pid_ = -1;
    std::optional<int> status_;
};

// Blocks SIGINT, SIGTERM and SIGCHLD in the calling thread (before any thread is started), so
// the supervisor takes them with wait_for_signal instead of in a handler.
void block_supervisor_signals();
// The next of those signals, or 0 when `timeout` passed first.
int wait_for_signal(std::chrono::milliseconds timeout);

}  // namespace hubsim::cli
