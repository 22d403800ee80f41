// The mosquitto config `hubsim run` writes: the settings the emulator depends on.
#include <doctest/doctest.h>

#include <sstream>

#include "hubsim/cli/mosquitto_config.hpp"

namespace {

bool has_line(const std::string& text, const std::string& line) {
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) {
        if (l == line)
            return true;
    }
    return false;
}

hubsim::cli::MosquittoSetup setup(bool root) {
    return {18883,
            18443,
            18444,
            "127.0.0.1",
            "/s/tls/server.pem",
            "/s/tls/server.key",
            "/s",
            "/lib/hubsim_plugin.so",
            "/etc/hubsim.toml",
            root,
            0,
            "lo"};
}

TEST_CASE("TLS MQTT and WebSocket listeners with the plugin and its options") {
    const auto text = hubsim::cli::render_mosquitto_config(setup(false));
    CAPTURE(text);
    CHECK(has_line(text, "listener 18883 127.0.0.1"));
    CHECK(has_line(text, "protocol mqtt"));
    // The WebSocket listener by interface name: mosquitto ignores its IP address (all interfaces).
    CHECK(has_line(text, "listener 18443 lo"));
    CHECK(has_line(text, "protocol websockets"));
    CHECK(has_line(text, "certfile /s/tls/server.pem"));
    CHECK(has_line(text, "keyfile /s/tls/server.key"));
    CHECK(has_line(text, "max_qos 1"));
    CHECK(has_line(text, "allow_anonymous false"));
    CHECK(has_line(text, "persistence false"));
    CHECK(has_line(text, "set_tcp_nodelay true"));
    CHECK(has_line(text, "max_queued_messages 0"));
    CHECK(has_line(text, "plugin /lib/hubsim_plugin.so"));
    CHECK(has_line(text, "plugin_opt_config /etc/hubsim.toml"));
    CHECK(has_line(text, "plugin_opt_state_dir /s"));
    CHECK(has_line(text, "plugin_opt_https_port 18444"));
    CHECK(has_line(text, "plugin_opt_https_bind 127.0.0.1"));
    CHECK(has_line(text, "plugin_opt_https_cert /s/tls/server.pem"));
    CHECK(has_line(text, "plugin_opt_https_key /s/tls/server.key"));
    CHECK_FALSE(has_line(text, "user root"));
    // No plain-text listener: IoT Hub has none.
    CHECK(text.find("listener 1883") == std::string::npos);
}

TEST_CASE("run as root: mosquitto keeps root so it can read the private state folder") {
    CHECK(has_line(hubsim::cli::render_mosquitto_config(setup(true)), "user root"));
}

}  // namespace

TEST_CASE("the DPS listener: TLS MQTT where the username becomes the client id") {
    auto with_dps = setup(false);
    with_dps.dps_port = 18884;
    const auto text = hubsim::cli::render_mosquitto_config(with_dps);
    CAPTURE(text);
    const auto listener = text.find("listener 18884 127.0.0.1\n");
    REQUIRE(listener != std::string::npos);
    const auto section = text.substr(listener, text.find("\nplugin ") - listener);
    CHECK(has_line(section, "protocol mqtt"));
    CHECK(has_line(section, "use_username_as_clientid true"));
    CHECK(has_line(section, "certfile /s/tls/server.pem"));
    CHECK(has_line(section, "max_qos 1"));
    // Only there: hub devices keep their client ids.
    CHECK(text.find("use_username_as_clientid") == text.rfind("use_username_as_clientid"));
    CHECK(hubsim::cli::render_mosquitto_config(setup(false)).find("use_username_as_clientid") ==
          std::string::npos);
}

TEST_CASE("the client-certificate listener requires a certificate from its trust file") {
    auto with_x509 = setup(false);
    CHECK(hubsim::cli::render_mosquitto_config(with_x509).find("require_certificate") ==
          std::string::npos);
    with_x509.x509_port = 18884;
    with_x509.client_trust_dir = "/s/client-trust";
    const auto text = hubsim::cli::render_mosquitto_config(with_x509);
    CAPTURE(text);
    const auto listener = text.find("listener 18884 127.0.0.1\n");
    REQUIRE(listener != std::string::npos);
    const auto section = text.substr(listener, text.find("\n\n", listener) - listener);
    CHECK(has_line(section, "require_certificate true"));
    CHECK(has_line(section, "capath /s/client-trust"));
    CHECK(has_line(section, "certfile /s/tls/server.pem"));
    CHECK_FALSE(has_line(section, "use_username_as_clientid true"));
}
