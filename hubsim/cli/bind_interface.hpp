#pragma once
// The network interface that holds an address. mosquitto 2.0.11's WebSocket listener
// (libwebsockets) ignores an IP address after `listener PORT` and listens on every interface;
// given an interface name there, libwebsockets binds that interface's address instead.

#include <optional>
#include <string>
#include <string_view>

namespace hubsim::cli {

// The name of the interface holding IPv4 `address` (e.g. "lo" for 127.0.0.1); nullopt when no
// interface holds it or `address` is not an IPv4 address.
std::optional<std::string> interface_with_address(std::string_view address);

}  // namespace hubsim::cli
