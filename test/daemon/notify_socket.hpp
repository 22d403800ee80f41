#pragma once
// A bound AF_UNIX datagram socket standing in for systemd's notification socket (NOTIFY_SOCKET),
// for tests of `hubgate run` under Type=notify (systemd is not PID 1 on the build machines).

#include <doctest/doctest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

namespace hubgate::test {

class NotifySocket {
  public:
    explicit NotifySocket(const std::filesystem::path& path) : path_(path) {
        fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        path_.string().copy(addr.sun_path, sizeof addr.sun_path - 1);
        REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
        timeval timeout{1, 0};  // each receive is bounded; callers loop up to their deadline
        setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    }
    ~NotifySocket() {
        close(fd_);
        unlink(path_.c_str());
    }
    NotifySocket(const NotifySocket&) = delete;
    NotifySocket& operator=(const NotifySocket&) = delete;

    // Receives datagrams until one contains `needle`, for at most `seconds`; returns all seen.
    std::vector<std::string> receive_until(const std::string& needle, int seconds) {
        std::vector<std::string> seen;
        for (int i = 0; i < seconds; ++i) {
            char buf[4096];
            ssize_t n;
            while ((n = recv(fd_, buf, sizeof buf, 0)) > 0) {
                seen.emplace_back(buf, static_cast<size_t>(n));
                if (seen.back().find(needle) != std::string::npos)
                    return seen;
            }
        }
        return seen;
    }
    // The datagrams already waiting, without blocking.
    std::vector<std::string> drain() {
        std::vector<std::string> seen;
        char buf[4096];
        ssize_t n;
        while ((n = recv(fd_, buf, sizeof buf, MSG_DONTWAIT)) > 0) {
            seen.emplace_back(buf, static_cast<size_t>(n));
        }
        return seen;
    }

  private:
    std::filesystem::path path_;
    int fd_ = -1;
};

inline bool contains(const std::vector<std::string>& messages, const std::string& needle) {
    for (const auto& m : messages) {
        if (m.find(needle) != std::string::npos)
            return true;
    }
    return false;
}

}  // namespace hubgate::test
