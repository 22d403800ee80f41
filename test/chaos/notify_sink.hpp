#pragma once
// Stands in for systemd's notification socket (NOTIFY_SOCKET) in a chaos run, so that hubgate
// runs with its watchdog on (WATCHDOG_USEC) and logs a thread stuck in a hanging plugin hook;
// the harness then kills it as systemd's watchdog would. Drains every datagram on its own
// thread (a full socket would make sd_notify wait) and counts the WATCHDOG=1 pings.

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <thread>

namespace hubgate::chaos {

class NotifySink {
  public:
    explicit NotifySink(std::filesystem::path path);  // binds; throws when it cannot
    ~NotifySink();
    NotifySink(const NotifySink&) = delete;
    NotifySink& operator=(const NotifySink&) = delete;

    const std::filesystem::path& path() const { return path_; }
    std::uint64_t watchdog_pings() const { return pings_; }

  private:
    void run();

    std::filesystem::path path_;
    int fd_ = -1;
    std::atomic<bool> stop_{false};
    std::atomic<std::uint64_t> pings_{0};
    std::thread thread_;
};

}  // namespace hubgate::chaos
