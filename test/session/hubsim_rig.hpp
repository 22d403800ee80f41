#pragma once
// Helpers for session tests against hubsim: options for its endpoints, a registry of devices,
// and its connection log.

#include <string>
#include <vector>

#include "hubsim_fixture/hubsim_fixture.hpp"
#include "live_rig.hpp"

namespace hubgate::session::test {

// The options for sessions to `hub` with the "gateway" DeviceConnect policy over MQTT/TLS.
inline SessionOptions live_options(const hubgate::test::HubsimFixture& hub) {
    SessionOptions options;
    options.hub_hostname = hub.hostname();
    options.connect_host = "127.0.0.1:" + std::to_string(hub.mqtts_port());
    options.ca_file = hub.ca_file().string();
    options.auth.mode = AuthMode::Policy;
    options.auth.policy_name = "gateway";
    options.auth.policy_key = hub.policy("gateway").key;
    options.reconnect_backoff = {Millis(500), Millis(4000), 2.0};
    options.refused_backoff = {Millis(1500), Millis(6000), 2.0};
    options.twin_backoff = {Millis(300), Millis(3000), 2.0};
    return options;
}

// A hub with `count` devices "dev0".."dev{count-1}" and a DeviceConnect policy "gateway".
inline hubgate::test::HubsimOptions hub_with_devices(int count) {
    hubgate::test::HubsimOptions options;
    for (int i = 0; i < count; ++i) {
        options.devices.push_back({.id = "dev" + std::to_string(i)});
    }
    options.policies.push_back({.name = "gateway", .key = "", .rights = {"DeviceConnect"}});
    return options;
}

// Events of the hub's connection log for `device` (all devices when empty) of kind `event`.
inline std::vector<nlohmann::json> hub_events(const hubgate::test::HubsimFixture& hub,
                                              const std::string& device, const std::string& event) {
    std::vector<nlohmann::json> found;
    const auto response = hub.connections();
    for (const auto& entry : response.body.value("log", nlohmann::json::array())) {
        if ((device.empty() || entry.value("deviceId", "") == device) &&
            entry.value("event", "") == event) {
            found.push_back(entry);
        }
    }
    return found;
}

}  // namespace hubgate::session::test
