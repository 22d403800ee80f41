#pragma once
// Free TCP ports for the listeners configured as 0.

#include <chrono>
#include <vector>

namespace hubsim::cli {

// `count` distinct ports that were free on every interface a moment ago (stricter than loopback
// only, so that a port held on another address never makes a listener fail).
std::vector<int> pick_free_ports(int count);

// True when something accepts a TCP connection on 127.0.0.1:port within `timeout`.
bool port_accepts(int port, std::chrono::milliseconds timeout = std::chrono::milliseconds(500));

}  // namespace hubsim::cli
