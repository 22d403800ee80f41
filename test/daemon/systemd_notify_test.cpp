// `hubgate run` under systemd (Type=notify): READY=1 only once the local link has subscribed,
// WATCHDOG=1 pings while it runs, STOPPING=1 at SIGTERM — against a real NOTIFY_SOCKET datagram
// socket of the test's own (systemd is not PID 1 on the build machines).
#include <doctest/doctest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "bridge_env.hpp"
#include "legacy_client.hpp"

namespace hubgate::test {

namespace {
// A bound AF_UNIX datagram socket standing in for systemd's notification socket.
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

  private:
    std::filesystem::path path_;
    int fd_ = -1;
};

bool contains(const std::vector<std::string>& messages, const std::string& needle) {
    for (const auto& m : messages) {
        if (m.find(needle) != std::string::npos)
            return true;
    }
    return false;
}
}  // namespace

TEST_CASE("under systemd: READY=1 after the local link subscribed, watchdog pings, STOPPING=1") {
    TempDir sockets("hubgate-notify");
    const auto path = sockets.path() / "notify.sock";
    NotifySocket systemd(path);
    auto options = with_devices({"plant1-s1"});
    options.hubgate_env = {{"NOTIFY_SOCKET", path.string()},
                           {"WATCHDOG_USEC", "400000"}};  // WATCHDOG_PID unset: any pid may ping
    BridgeEnv env(options);
    env.start_hubgate();  // returns once hubgate logged "subscribed to"

    // READY=1 is sent, then a STATUS= line saying what was subscribed.
    const auto until_status = systemd.receive_until("STATUS=subscribed to", 10);
    CHECK(contains(until_status, "READY=1"));
    CHECK(contains(until_status, "STATUS=subscribed to"));
    CHECK(contains(systemd.receive_until("WATCHDOG=1", 10), "WATCHDOG=1"));
    // Once the device's session is up, the status line counts it.
    LegacyClient device(env.local_port(), "legacy-notify");
    REQUIRE(device.wait_connected());
    REQUIRE(device.publish("t/plant1/s1/telemetry", R"({"seq":1})"));
    CHECK(contains(systemd.receive_until("STATUS=1/1 device sessions connected", 30),
                   "STATUS=1/1 device sessions connected"));

    CHECK(env.stop_hubgate() == 0);
    CHECK(contains(systemd.receive_until("STOPPING=1", 10), "STOPPING=1"));
}

}  // namespace hubgate::test
