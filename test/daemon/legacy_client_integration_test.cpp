// The test's legacy device client in a process that holds many sockets, as the chaos soak's does
// (its TCP proxy holds two per device session): libmosquitto's own network thread waits with
// select() and never connects a socket numbered 1024 or above (mosquitto_poll_thread.hpp).
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <memory>
#include <vector>

#include "harness/ports.hpp"
#include "harness/process.hpp"
#include "harness/scratch_dir.hpp"
#include "legacy_client.hpp"

namespace hubgate::test {

TEST_CASE("a legacy client connects and receives on a socket numbered past select()'s limit") {
    rlimit limit{};
    REQUIRE(::getrlimit(RLIMIT_NOFILE, &limit) == 0);
    if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max < 1200) {
        MESSAGE("the hard limit on open files is below 1200: nothing to check");
        return;
    }
    const rlimit previous = limit;
    limit.rlim_cur =
        limit.rlim_max == RLIM_INFINITY ? 4096 : std::min<rlim_t>(limit.rlim_max, 4096);
    REQUIRE(::setrlimit(RLIMIT_NOFILE, &limit) == 0);

    ScratchDir dir;
    const int port = free_tcp_port();
    const auto conf = dir.write("mosquitto.conf", "listener " + std::to_string(port) +
                                                      " 127.0.0.1\nallow_anonymous true\n");
    Process broker({MOSQUITTO_EXECUTABLE, "-c", conf.string()});
    REQUIRE(wait_for_port(port, 10s));

    // Every number below 1100 taken: the client's socket gets a higher one.
    std::vector<int> held;
    while (held.empty() || held.back() < 1100) {
        const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        REQUIRE(fd >= 0);
        held.push_back(fd);
    }
    {
        LegacyClient client(port, "legacy-high-fd");
        CHECK(client.wait_connected(10s));
        CHECK(client.subscribe("t/high"));
        CHECK(client.publish("t/high", "seen", 1, true));
        CHECK(client.wait_for([](const LegacyMessage& m) { return m.topic == "t/high"; }, 10s));
    }
    for (const int fd : held) {
        ::close(fd);
    }
    ::setrlimit(RLIMIT_NOFILE, &previous);
}

}  // namespace hubgate::test
