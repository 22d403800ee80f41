// The sd_notify exchange against a real NOTIFY_SOCKET datagram socket of our own (systemd is not
// PID 1 on the build machines).
#include <doctest/doctest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "gateway/notify/systemd_notifier.hpp"
#include "harness/scratch_dir.hpp"

namespace {
// A bound AF_UNIX datagram socket standing in for systemd's notification socket.
class FakeSystemd {
  public:
    FakeSystemd() {
        path_ = (dir_.path() / "notify.sock").string();
        fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        path_.copy(addr.sun_path, sizeof addr.sun_path - 1);
        REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
        timeval timeout{2, 0};  // a bounded wait: a missing message fails instead of hanging
        setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
        setenv("NOTIFY_SOCKET", path_.c_str(), 1);
    }
    ~FakeSystemd() {
        unsetenv("NOTIFY_SOCKET");
        unsetenv("WATCHDOG_USEC");
        unsetenv("WATCHDOG_PID");
        close(fd_);
    }
    std::string receive() const {
        char buf[4096];
        ssize_t n = recv(fd_, buf, sizeof buf, 0);
        return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
    }

  private:
    hubgate::test::ScratchDir dir_{"hubgate-notify"};
    std::string path_;
    int fd_ = -1;
};
}  // namespace

TEST_CASE("ready, status, reloading, stopping and watchdog reach the notify socket") {
    FakeSystemd systemd;
    hubgate::notify::SystemdNotifier notifier;
    REQUIRE(notifier.enabled());
    notifier.ready();
    CHECK(systemd.receive() == "READY=1");
    notifier.status("3 sessions connected\nsecond line");
    CHECK(systemd.receive() == "STATUS=3 sessions connected second line");
    notifier.reloading();
    CHECK(systemd.receive() == "RELOADING=1");
    notifier.stopping();
    CHECK(systemd.receive() == "STOPPING=1");
    notifier.watchdog();
    CHECK(systemd.receive() == "WATCHDOG=1");
}

TEST_CASE("the watchdog interval is half of WATCHDOG_USEC, for this process only") {
    FakeSystemd systemd;
    setenv("WATCHDOG_USEC", "30000000", 1);
    setenv("WATCHDOG_PID", std::to_string(getpid()).c_str(), 1);
    {
        hubgate::notify::SystemdNotifier notifier;
        REQUIRE(notifier.watchdog_interval().has_value());
        CHECK(notifier.watchdog_interval()->count() == 15000000);
    }
    setenv("WATCHDOG_PID", std::to_string(getpid() + 1).c_str(), 1);
    hubgate::notify::SystemdNotifier other;
    CHECK_FALSE(other.watchdog_interval().has_value());
}

TEST_CASE("without NOTIFY_SOCKET nothing is sent and nothing fails") {
    unsetenv("NOTIFY_SOCKET");
    hubgate::notify::SystemdNotifier notifier;
    CHECK_FALSE(notifier.enabled());
    notifier.ready();
    notifier.watchdog();
}
