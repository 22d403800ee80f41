#pragma once
// The mosquitto configuration `hubsim run` writes: a TLS MQTT listener, a TLS WebSocket
// listener and one that asks for client certificates, all answered by the hubsim plugin, which
// enforces the IoT Hub device dialect; and the DPS listener.

#include <filesystem>
#include <string>
#include <vector>

namespace hubsim::cli {

struct MosquittoSetup {
    int mqtts_port = 0;
    int wss_port = 0;
    int https_port = 0;
    std::string https_bind = "127.0.0.1";
    std::filesystem::path cert_file;
    std::filesystem::path key_file;
    std::filesystem::path state_dir;   // persistence (sessions, subscriptions, queued C2D)
    std::filesystem::path plugin;      // hubsim_plugin.so
    std::filesystem::path hub_config;  // the hubsim TOML the plugin reads its registry from
    bool run_as_root = false;          // keep root: otherwise mosquitto drops to `mosquitto`
    int dps_port = 0;                  // the DPS MQTT listener (TLS); 0: none
    // The interface holding the listeners' address (127.0.0.1: "lo"): mosquitto's WebSocket
    // listener binds an interface's address, never an address given as such (bind_interface.hpp).
    std::string wss_interface = "lo";
    // The hub listener that asks for a client certificate (X.509 devices), and the folder of
    // the certificates it trusts (hubsim/common/trust_dir.hpp); port 0: none.
    int x509_port = 0;
    std::filesystem::path client_trust_dir{};
    // The DPS listener that asks for a client certificate (X.509 attestation); 0: none.
    int dps_x509_port = 0;
    // The MQTT TLS listeners of [[hubs]] (same certificate; the plugin tells the hubs apart by
    // the host name in the username).
    std::vector<int> extra_hub_ports = {};
};

std::string render_mosquitto_config(const MosquittoSetup& setup);

}  // namespace hubsim::cli
