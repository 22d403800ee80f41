#include "hubsim/cli/mosquitto_config.hpp"

#include <sstream>

namespace hubsim::cli {

std::string render_mosquitto_config(const MosquittoSetup& s) {
    std::ostringstream out;
    out << "# Written by `hubsim run`; regenerated at every start.\n";
    if (s.run_as_root) {
        // Started as root, mosquitto switches to user `mosquitto`, who cannot read private
        // files under /tmp (certificates, keys, the state folder).
        out << "user root\n";
    }
    // The plugin authenticates every client (SAS tokens); with a plugin registered for basic
    // auth, mosquitto 2.0 still refuses clients without a username before asking it.
    out << "per_listener_settings false\n"
        << "allow_anonymous false\n"
        // No broker persistence: the hub's state (twins, C2D queues, which device subscribed to
        // what) lives in the plugin's memory, and subscriptions that mosquitto restored behind
        // its back would hold C2D and answer methods 404. A restarted hubsim is a fresh hub.
        << "persistence false\n"
        << "set_tcp_nodelay true\n"
        // IoT Hub keeps every message for an offline device; mosquitto's default (1000) drops.
        << "max_queued_messages 0\n"
        << "log_dest stderr\n"
        << "log_type error\nlog_type warning\nlog_type notice\n"
        << "log_timestamp_format %Y-%m-%dT%H:%M:%S\n"
        << "\n";
    const auto tls = [&](std::ostream& o) {
        o << "certfile " << s.cert_file.string() << "\n"
          << "keyfile " << s.key_file.string() << "\n"
          << "tls_version tlsv1.2\n"
          << "max_qos 1\n";
    };
    out << "listener " << s.mqtts_port << " 127.0.0.1\n"
        << "protocol mqtt\n";
    tls(out);
    // mosquitto 2.0.11's WebSocket listener (libwebsockets) ignores an IP address here and
    // listens on every interface; given the loopback interface's name, it binds 127.0.0.1 only.
    // It accepts any path, so devices' "/$iothub/websocket" works as is.
    out << "\nlistener " << s.wss_port << " " << s.wss_interface << "\n"
        << "protocol websockets\n";
    tls(out);
    if (s.x509_port != 0) {
        // X.509 devices. mosquitto verifies the certificate against `capath` during the TLS
        // handshake, before the plugin sees it: a self-signed device certificate must be in that
        // folder, not only its thumbprint in the registry. The plugin then decides by thumbprint
        // or by registered CA, as IoT Hub does.
        out << "\nlistener " << s.x509_port << " 127.0.0.1\n"
            << "protocol mqtt\n"
            << "require_certificate true\n"
            << "capath " << s.client_trust_dir.string() << "\n";
        tls(out);
    }
    if (s.dps_x509_port != 0) {
        // X.509 attestation: mosquitto 2.0 cannot ask for a certificate without requiring one,
        // so registrations with a certificate have a listener of their own (same DPS dialect).
        out << "\nlistener " << s.dps_x509_port << " 127.0.0.1\n"
            << "protocol mqtt\n"
            << "use_username_as_clientid true\n"
            << "require_certificate true\n"
            << "capath " << s.client_trust_dir.string() << "\n";
        tls(out);
    }
    if (s.dps_port != 0) {
        // The Device Provisioning Service's MQTT endpoint. mosquitto 2.0 does not tell a plugin
        // which listener a client came in on; here the client id becomes the username, which
        // (a) marks the connection as the DPS's for the plugin and (b) keeps registrations out
        // of the hub's client id namespace: a registration does not take over the session of
        // the device it provisions.
        out << "\nlistener " << s.dps_port << " 127.0.0.1\n"
            << "protocol mqtt\n"
            << "use_username_as_clientid true\n";
        tls(out);
    }
    for (const int port : s.extra_hub_ports) {
        // Another hub's device endpoint ([[hubs]]).
        out << "\nlistener " << port << " 127.0.0.1\n"
            << "protocol mqtt\n";
        tls(out);
    }
    out << "\nplugin " << s.plugin.string() << "\n"
        << "plugin_opt_config " << s.hub_config.string() << "\n"
        << "plugin_opt_state_dir " << s.state_dir.string() << "\n"
        << "plugin_opt_https_port " << s.https_port << "\n"
        << "plugin_opt_https_bind " << s.https_bind << "\n"
        << "plugin_opt_https_cert " << s.cert_file.string() << "\n"
        << "plugin_opt_https_key " << s.key_file.string() << "\n";
    return out.str();
}

}  // namespace hubsim::cli
