#pragma once
// [provisioning] hub_connect_hosts: where the sessions of devices DPS assigned to a hub connect,
// when that is not the hub's own host name (hubsim's per-hub ports in tests). Each entry is
// "hub-host-name=host[:port]".

#include <optional>
#include <string>
#include <string_view>

#include "gateway/config/config.hpp"

namespace hubgate::config {

struct HubConnectHost {
    std::string hub;   // the hub's host name, as DPS names it (assignedHub)
    Endpoint address;  // port 0: the transport's default
};

// One entry, or nullopt with `error` saying what is wrong with it.
std::optional<HubConnectHost> parse_hub_connect_host(std::string_view entry, std::string& error);

// Where the session of a device on `hub` connects ("host:port"): [hub] connect_host for the
// [hub] hostname, the listed address for a hub in hub_connect_hosts, else the hub's host name;
// the port defaults to 8883 (mqtt) or 443 (mqtt-ws). Host names compare case-insensitively.
std::string hub_connect_host(const Config& config, const std::string& hub);

}  // namespace hubgate::config
