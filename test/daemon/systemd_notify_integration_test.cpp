// `hubgate run` under systemd (Type=notify): READY=1 only once the local link has subscribed,
// WATCHDOG=1 pings while it runs, STOPPING=1 at SIGTERM — against a real NOTIFY_SOCKET datagram
// socket of the test's own (systemd is not PID 1 on the build machines).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "bridge_env.hpp"
#include "legacy_client.hpp"
#include "notify_socket.hpp"

namespace hubgate::test {

TEST_CASE("under systemd: READY=1 after the local link subscribed, watchdog pings, STOPPING=1") {
    ScratchDir sockets("hubgate-notify");
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
