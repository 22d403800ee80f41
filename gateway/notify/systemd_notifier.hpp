#pragma once
// Tells systemd (Type=notify) what the daemon is doing: READY=1 once the config is loaded and the
// local link is up, STATUS= lines, RELOADING=1/STOPPING=1, and WATCHDOG=1 pings from the main
// loop. Without NOTIFY_SOCKET (not under systemd) every call is a cheap no-op.

#include <chrono>
#include <optional>
#include <string_view>

namespace hubgate::notify {

class SystemdNotifier {
  public:
    SystemdNotifier();

    bool enabled() const { return enabled_; }
    // The interval at which watchdog() must be called (half of WatchdogSec), when the watchdog is
    // on.
    std::optional<std::chrono::microseconds> watchdog_interval() const {
        return watchdog_interval_;
    }

    void ready() const;
    void reloading() const;  // follow with ready() when the reload is done
    void stopping() const;
    void status(std::string_view text) const;
    void watchdog() const;

  private:
    void send(std::string_view message) const;

    bool enabled_ = false;
    std::optional<std::chrono::microseconds> watchdog_interval_;
};

}  // namespace hubgate::notify
