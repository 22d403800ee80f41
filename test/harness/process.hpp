#pragma once
// A child process for integration tests: started with posix_spawn, its stdout and stderr
// captured (merged) by a reader thread, killed by PID when the object goes away.

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace hubgate::test {

using namespace std::chrono_literals;

class Process {
  public:
    // argv[0] is the executable path. `env` entries are added to (or override) the environment.
    explicit Process(std::vector<std::string> argv, std::map<std::string, std::string> env = {},
                     std::string working_dir = {});
    ~Process();
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;

    pid_t pid() const { return pid_; }

    // Waits until the merged output contains `needle`; false on timeout or exit.
    bool wait_for_output(const std::string& needle, std::chrono::milliseconds timeout = 20s);
    // Like wait_for_output but counts from output offset `from` (to wait for a second occurrence).
    bool wait_for_output_after(size_t from, const std::string& needle,
                               std::chrono::milliseconds timeout = 20s);
    std::string output() const;
    // Waits until every writer of the output pipe has gone (the child and its children exited).
    bool wait_output_closed(std::chrono::milliseconds timeout);

    // Sends a signal; does not wait.
    void signal(int sig);
    // Waits for exit; returns the exit status (or 128+signal), nullopt on timeout. Once it has
    // returned a status, output() holds what the child wrote (unless a grandchild holds the pipe
    // open, which it waits for at most 500 ms).
    std::optional<int> wait_exit(std::chrono::milliseconds timeout = 20s);
    bool running();
    // SIGTERM, then SIGKILL after `grace`; reaps the child.
    void stop(std::chrono::milliseconds grace = 5s);

  private:
    void read_loop(int fd);

    pid_t pid_ = -1;
    std::optional<int> exit_status_;
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::string output_;
    bool output_closed_ = false;
    std::thread reader_;
};

// Runs a command to completion (with a timeout) and returns its exit status and merged output.
struct RunResult {
    int status = -1;
    std::string output;
};
RunResult run(std::vector<std::string> argv, std::chrono::milliseconds timeout = 60s,
              std::map<std::string, std::string> env = {}, const std::string& stdin_text = {});

}  // namespace hubgate::test
