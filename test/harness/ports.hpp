#pragma once
// Free loopback ports and readiness checks: tests wait for a port, they never sleep blindly.

#include <chrono>

namespace hubgate::test {

// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then released).
int free_tcp_port();

// True once something accepts TCP connections on 127.0.0.1:port.
bool wait_for_port(int port, std::chrono::milliseconds timeout);

}  // namespace hubgate::test
