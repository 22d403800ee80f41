// The [hub] section as `hubsim run` reads it: defaults, values, and errors with their position.
#include <doctest/doctest.h>

#include <fstream>
#include <random>

#include "harness/scratch_dir.hpp"
#include "hubsim/cli/hub_config.hpp"

namespace {

namespace fs = std::filesystem;
using hubsim::cli::ConfigError;
using hubsim::cli::load_hub_config;

// A config file in a scratch folder, removed afterwards.
struct ConfigFile {
    hubgate::test::ScratchDir dir{"hubsim-config-test"};
    fs::path path;
    explicit ConfigFile(const std::string& text) : path(dir.write("hubsim.toml", text)) {}
};

std::string error_of(const std::string& text) {
    ConfigFile file(text);
    try {
        load_hub_config(file.path);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

TEST_CASE("defaults when the hub table is empty or absent") {
    ConfigFile file("[[devices]]\nid = \"d\"\n");
    const auto config = load_hub_config(file.path);
    CHECK(config.hostname == "hubsim.azure-devices.net");
    CHECK(config.mqtts_port == 0);
    CHECK(config.state_dir.empty());
    CHECK(config.cert_file.empty());
    CHECK_FALSE(config.owner_key);
}

TEST_CASE("values, relative paths and the owner key") {
    ConfigFile file(R"([hub]
hostname = "h.example"
mqtts_port = 18883
wss_port = 18443
https_port = 18444
state_dir = "state"
cert_file = "tls/s.pem"
key_file = "/abs/s.key"
ca_file = "ca.pem"
[[policies]]
name = "device"
key = "ZGV2"
[[policies]]
name = "iothubowner"
key = "b3duZXI="
)");
    const auto config = load_hub_config(file.path);
    CHECK(config.hostname == "h.example");
    CHECK(config.mqtts_port == 18883);
    CHECK(config.wss_port == 18443);
    CHECK(config.https_port == 18444);
    CHECK(config.state_dir == file.dir.path() / "state");
    CHECK(config.cert_file == file.dir.path() / "tls/s.pem");
    CHECK(config.key_file == "/abs/s.key");
    CHECK(config.owner_key == "b3duZXI=");
}

TEST_CASE("errors name the file, line and column, and the key") {
    CHECK(error_of("[hub]\nmqtts_port = 70000\n").find("hubsim.toml:2:") != std::string::npos);
    CHECK(error_of("[hub]\nmqtts_port = 70000\n").find("hub.mqtts_port") != std::string::npos);
    CHECK(error_of("[hub]\nwss_port = \"x\"\n").find("hub.wss_port") != std::string::npos);
    CHECK(error_of("[hub]\nhostname = \"\"\n").find("hub.hostname") != std::string::npos);
    CHECK(error_of("[hub]\nhostnme = \"x\"\n").find("unknown key (allowed: hostname") !=
          std::string::npos);
    CHECK(error_of("[hub]\ncert_file = \"a.pem\"\n").find("go together") != std::string::npos);
    CHECK(error_of("[hub\n").find("hubsim.toml:1:") != std::string::npos);
}

TEST_CASE("the default state folder is stable per config file and differs between files") {
    const auto a = hubsim::cli::default_state_dir("/etc/a/hubsim.toml");
    CHECK(a == hubsim::cli::default_state_dir("/etc/a/hubsim.toml"));
    CHECK(a != hubsim::cli::default_state_dir("/etc/b/hubsim.toml"));
}

}  // namespace

TEST_CASE("hub.dps_port fixes the DPS listener's port") {
    ConfigFile file("[hub]\ndps_port = 18884\n");
    CHECK(load_hub_config(file.path).dps_port == 18884);
    CHECK(load_hub_config(ConfigFile("[hub]\n").path).dps_port == 0);
    CHECK(error_of("[hub]\ndps_port = 70000\n")
              .find("hub.dps_port: must be a port number from 0 to 65535") != std::string::npos);
}

TEST_CASE("hub.x509_port, and the files the client-certificate listener trusts") {
    ConfigFile file(
        "[hub]\nx509_port = 18885\n[[certificate_authorities]]\nname = \"fleet\"\n"
        "file = \"ca/fleet.pem\"\n[[devices]]\nid = \"cam\"\nx509_certificate = \"/abs/cam.pem\"\n"
        "[[devices]]\nid = \"sas\"\nprimary_key = \"AAAA\"\n");
    const auto config = load_hub_config(file.path);
    CHECK(config.x509_port == 18885);
    REQUIRE(config.client_trust_files.size() == 2);
    CHECK(config.client_trust_files[0] == file.path.parent_path() / "ca/fleet.pem");
    CHECK(config.client_trust_files[1] == fs::path("/abs/cam.pem"));
    CHECK(load_hub_config(ConfigFile("[hub]\n").path).x509_port == 0);
}
