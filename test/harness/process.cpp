#include "harness/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

extern char** environ;

namespace hubgate::test {

namespace {

std::vector<std::string> merged_environment(const std::map<std::string, std::string>& extra) {
    std::map<std::string, std::string> all;
    for (char** e = environ; *e != nullptr; ++e) {
        std::string entry(*e);
        auto eq = entry.find('=');
        if (eq != std::string::npos)
            all[entry.substr(0, eq)] = entry.substr(eq + 1);
    }
    for (const auto& [k, v] : extra)
        all[k] = v;
    std::vector<std::string> out;
    for (const auto& [k, v] : all)
        out.push_back(k + "=" + v);
    return out;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
    std::vector<char*> out;
    for (auto& s : strings)
        out.push_back(s.data());
    out.push_back(nullptr);
    return out;
}

}  // namespace

Process::Process(std::vector<std::string> argv, std::map<std::string, std::string> env,
                 std::string working_dir) {
    int pipe_fds[2];
    if (pipe2(pipe_fds, O_CLOEXEC) != 0)
        throw std::runtime_error("pipe2 failed");

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDERR_FILENO);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    if (!working_dir.empty())
        posix_spawn_file_actions_addchdir_np(&actions, working_dir.c_str());

    // Own process group, so stop() also reaches grandchildren (hubsim's mosquitto).
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attr, 0);

    auto env_strings = merged_environment(env);
    auto envp = c_strings(env_strings);
    auto argvp = c_strings(argv);
    int rc = posix_spawn(&pid_, argv.at(0).c_str(), &actions, &attr, argvp.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    close(pipe_fds[1]);
    if (rc != 0) {
        close(pipe_fds[0]);
        throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
    }
    reader_ = std::thread([this, fd = pipe_fds[0]] { read_loop(fd); });
}

Process::~Process() {
    stop(2s);
    if (reader_.joinable())
        reader_.join();
}

void Process::read_loop(int fd) {
    char buf[4096];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        std::lock_guard lock(mutex_);
        output_.append(buf, static_cast<size_t>(n));
        changed_.notify_all();
    }
    close(fd);
    std::lock_guard lock(mutex_);
    output_closed_ = true;
    changed_.notify_all();
}

bool Process::wait_for_output(const std::string& needle, std::chrono::milliseconds timeout) {
    return wait_for_output_after(0, needle, timeout);
}

bool Process::wait_for_output_after(size_t from, const std::string& needle,
                                    std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] {
        return output_.find(needle, from) != std::string::npos || output_closed_;
    }) && output_.find(needle, from) != std::string::npos;
}

bool Process::wait_output_closed(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return output_closed_; });
}

std::string Process::output() const {
    std::lock_guard lock(mutex_);
    return output_;
}

void Process::signal(int sig) {
    if (pid_ > 0 && !exit_status_)
        ::kill(pid_, sig);
}

std::optional<int> Process::wait_exit(std::chrono::milliseconds timeout) {
    if (exit_status_)
        return exit_status_;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        int status = 0;
        pid_t r = waitpid(pid_, &status, WNOHANG);
        if (r == pid_) {
            exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            // The reader thread may not have read the child's last words yet: a test that
            // checks output() right after the exit must see them. A grandchild still holding
            // the pipe only costs this bounded wait.
            wait_output_closed(500ms);
            return exit_status_;
        }
        if (r < 0 && errno != EINTR)
            return std::nullopt;
        if (std::chrono::steady_clock::now() >= deadline)
            return std::nullopt;
        std::this_thread::sleep_for(5ms);  // polling waitpid: there is no waitable child handle
    }
}

bool Process::running() {
    return pid_ > 0 && !wait_exit(0ms).has_value();
}

void Process::stop(std::chrono::milliseconds grace) {
    if (pid_ <= 0)
        return;
    if (!exit_status_) {
        ::kill(-pid_, SIGTERM);
        if (!wait_exit(grace)) {
            ::kill(-pid_, SIGKILL);
            wait_exit(10s);
        }
    }
    // Leftover grandchildren in the group (if the child exited first) are killed too.
    ::kill(-pid_, SIGKILL);
}

RunResult run(std::vector<std::string> argv, std::chrono::milliseconds timeout,
              std::map<std::string, std::string> env, const std::string& stdin_text) {
    RunResult result;
    std::string stdin_path;
    if (!stdin_text.empty()) {
        // Stdin comes from a temporary file through a shell redirect, which keeps Process simple.
        char path[] = "/tmp/hubgate-stdin-XXXXXX";
        int fd = mkstemp(path);
        if (fd < 0)
            throw std::runtime_error("mkstemp failed");
        bool written = ::write(fd, stdin_text.data(), stdin_text.size()) ==
                       static_cast<ssize_t>(stdin_text.size());
        close(fd);
        stdin_path = path;
        if (!written) {
            unlink(path);
            throw std::runtime_error("write failed");
        }
        argv.insert(argv.begin(), {"/bin/sh", "-c", "exec \"$0\" \"$@\" < " + stdin_path});
    }
    {
        Process p(std::move(argv), std::move(env));
        auto st = p.wait_exit(timeout);
        if (!st)
            p.stop(1s);
        result.status = st.value_or(-1);
        p.wait_output_closed(2s);
        result.output = p.output();
    }
    if (!stdin_path.empty())
        unlink(stdin_path.c_str());
    return result;
}

}  // namespace hubgate::test
