#include "gateway/notify/systemd_notifier.hpp"

#include <systemd/sd-daemon.h>

#include <cstdint>
#include <cstdlib>
#include <string>

namespace hubgate::notify {

SystemdNotifier::SystemdNotifier() {
    enabled_ = std::getenv("NOTIFY_SOCKET") != nullptr;
    uint64_t usec = 0;
    // Only the watchdog's own process may ping (WATCHDOG_PID is checked by sd_watchdog_enabled).
    if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
        watchdog_interval_ = std::chrono::microseconds(usec / 2);
    }
}

void SystemdNotifier::send(std::string_view message) const {
    if (!enabled_)
        return;
    // A failed notification is not fatal: systemd will time the service out, which is the
    // right signal for a daemon that cannot talk to its supervisor.
    sd_notify(0, std::string(message).c_str());
}

void SystemdNotifier::ready() const {
    send("READY=1");
}

void SystemdNotifier::reloading() const {
    send("RELOADING=1");
}

void SystemdNotifier::stopping() const {
    send("STOPPING=1");
}

void SystemdNotifier::status(std::string_view text) const {
    std::string line = "STATUS=";
    for (char c : text)
        line.push_back(c == '\n' ? ' ' : c);  // one line per STATUS=
    send(line);
}

void SystemdNotifier::watchdog() const {
    send("WATCHDOG=1");
}

}  // namespace hubgate::notify
