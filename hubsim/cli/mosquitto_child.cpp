#include "hubsim/cli/mosquitto_child.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <vector>

namespace hubsim::cli {

namespace fs = std::filesystem;

namespace {

sigset_t supervisor_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGCHLD);
    return set;
}

int decode_status(int status) {
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

fs::path find_mosquitto(const std::optional<std::string>& explicit_path) {
    if (explicit_path)
        return *explicit_path;
    if (const char* path = std::getenv("PATH")) {
        std::istringstream dirs(path);
        std::string dir;
        while (std::getline(dirs, dir, ':')) {
            const auto candidate = fs::path(dir.empty() ? "." : dir) / "mosquitto";
            if (::access(candidate.c_str(), X_OK) == 0)
                return candidate;
        }
    }
    if (::access("/usr/sbin/mosquitto", X_OK) == 0)
        return "/usr/sbin/mosquitto";
    return {};
}

MosquittoChild::MosquittoChild(const fs::path& executable, const fs::path& config) {
    const std::string exe = executable.string();
    const std::string conf = config.string();
    const pid_t parent = ::getpid();
    // fork (not posix_spawn) for PR_SET_PDEATHSIG: the broker must not outlive hubsim even when
    // hubsim is killed with SIGKILL. Only async-signal-safe calls happen in the child.
    pid_ = ::fork();
    if (pid_ < 0) {
        throw std::system_error(errno, std::generic_category(), "fork");
    }
    if (pid_ == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (::getppid() != parent)
            ::_exit(127);  // the parent died before prctl took effect
        struct sigaction dfl {};
        dfl.sa_handler = SIG_DFL;
        for (int sig : {SIGINT, SIGTERM, SIGCHLD, SIGPIPE})
            ::sigaction(sig, &dfl, nullptr);
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        // stdout carries hubsim's ready line only; the broker logs to stderr.
        ::dup2(STDERR_FILENO, STDOUT_FILENO);
        const char* argv[] = {exe.c_str(), "-c", conf.c_str(), nullptr};
        ::execv(exe.c_str(), const_cast<char* const*>(argv));
        ::_exit(127);
    }
}

MosquittoChild::~MosquittoChild() {
    if (!status_)
        stop(std::chrono::seconds(5));
}

std::optional<int> MosquittoChild::poll_exit() {
    if (status_)
        return status_;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        status_ = decode_status(status);
    }
    return status_;
}

int MosquittoChild::stop(std::chrono::milliseconds grace) {
    if (poll_exit())
        return *status_;
    ::kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + grace;
    while (!poll_exit() && std::chrono::steady_clock::now() < deadline) {
        wait_for_signal(std::chrono::milliseconds(100));  // woken by SIGCHLD at once
    }
    if (!status_) {
        ::kill(pid_, SIGKILL);
        int status = 0;
        ::waitpid(pid_, &status, 0);
        status_ = decode_status(status);
    }
    return *status_;
}

void block_supervisor_signals() {
    const auto set = supervisor_signals();
    ::sigprocmask(SIG_BLOCK, &set, nullptr);
    ::signal(SIGPIPE, SIG_IGN);
}

int wait_for_signal(std::chrono::milliseconds timeout) {
    const auto set = supervisor_signals();
    timespec ts{};
    ts.tv_sec = static_cast<time_t>(timeout.count() / 1000);
    ts.tv_nsec = static_cast<long>((timeout.count() % 1000) * 1000000);
    const int sig = ::sigtimedwait(&set, nullptr, &ts);
    return sig < 0 ? 0 : sig;
}

}  // namespace hubsim::cli
