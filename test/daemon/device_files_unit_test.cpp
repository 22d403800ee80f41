// Per-device files named by a pattern with {device}: a key file must pass the same secret-file
// rule as every single secret file, and the device ids "." and ".." cannot name a file.
#include <doctest/doctest.h>

#include "gateway/config/device_files.hpp"
#include "gateway/core/session_settings.hpp"
#include "harness/scratch_dir.hpp"

namespace hubgate::test {

namespace {

constexpr const char* kKey = "c2VjcmV0LWtleS1ieXRlcy0xMjM0NTY3ODkwMTI=";

// Sessions' settings for device keys in per-device files under `dir`/keys.
core::SessionSettings device_key_settings(const ScratchDir& dir) {
    config::Config config;
    config.hub.hostname = "hub.example";
    config.auth.mode = config::AuthMode::DeviceKeys;
    config.auth.device_key_file = (dir.path() / "keys" / "{device}.key").string();
    core::SessionSettings settings;
    std::string error;
    REQUIRE_MESSAGE(core::session_settings_from(config, settings, error), error);
    REQUIRE(settings.session.auth.device_key);
    return settings;
}

// The same for x509: certificates and keys in `dir`/pki.
core::SessionSettings x509_settings(const ScratchDir& dir) {
    config::Config config;
    config.hub.hostname = "hub.example";
    config.auth.mode = config::AuthMode::X509;
    config.auth.cert_file = (dir.path() / "pki" / "{device}.pem").string();
    config.auth.cert_key_file = (dir.path() / "pki" / "{device}.key").string();
    core::SessionSettings settings;
    std::string error;
    REQUIRE_MESSAGE(core::session_settings_from(config, settings, error), error);
    REQUIRE(settings.session.auth.device_cert);
    return settings;
}

}  // namespace

TEST_CASE("a per-device key file readable or writable by others is refused, like any secret") {
    ScratchDir dir;
    const auto settings = device_key_settings(dir);
    const auto& device_key = settings.session.auth.device_key;
    dir.write("keys/good.key", std::string(kKey) + "\n", 0600);
    dir.write("keys/shared.key", kKey, 0644);
    dir.write("keys/writable.key", kKey, 0602);
    CHECK(device_key("good") == kKey);
    CHECK_FALSE(device_key("shared"));
    CHECK_FALSE(device_key("writable"));
    CHECK_FALSE(device_key("missing"));
}

TEST_CASE("a per-device x509 key readable by others is refused, its certificate need not be") {
    ScratchDir dir;
    const auto settings = x509_settings(dir);
    const auto& device_cert = settings.session.auth.device_cert;
    dir.write("pki/good.pem", "cert", 0644);
    dir.write("pki/good.key", "key", 0600);
    dir.write("pki/open.pem", "cert", 0644);
    dir.write("pki/open.key", "key", 0644);
    const auto good = device_cert("good");
    REQUIRE(good);
    CHECK(good->key_file == (dir.path() / "pki" / "good.key").string());
    CHECK_FALSE(device_cert("open"));
}

TEST_CASE("the device ids . and .. cannot name a file in a pattern") {
    ScratchDir dir;
    // "{device}" alone in a folder: "." and ".." would be the folder itself and its parent.
    dir.write("keys/x/.key", kKey, 0600);
    config::Config config;
    config.hub.hostname = "hub.example";
    config.auth.mode = config::AuthMode::DeviceKeys;
    config.auth.device_key_file = (dir.path() / "keys" / "x" / "{device}key").string();
    core::SessionSettings settings;
    std::string error;
    REQUIRE(core::session_settings_from(config, settings, error));
    // "{device}key" with id "." would be ".key", a file that exists and passes the mode rule.
    CHECK_FALSE(settings.session.auth.device_key("."));

    for (const char* id : {".", "..", "a/b"}) {
        CAPTURE(id);
        std::string why;
        CHECK_FALSE(config::device_file_path("/etc/hubgate/keys/{device}", id, why));
        CHECK(why.find("cannot name a file") != std::string::npos);
    }
    std::string why;
    const auto fine = config::device_file_path("/k/{device}.{device}", "a.b", why);
    REQUIRE(fine);
    CHECK(fine->string() == "/k/a.b.a.b");
}

TEST_CASE("errors about per-device files name the file and never hold its content") {
    ScratchDir dir;
    dir.write("keys/shared.key", kKey, 0644);
    std::string why;
    CHECK_FALSE(
        config::read_device_secret((dir.path() / "keys" / "{device}.key").string(), "shared", why));
    CHECK(why.find("shared.key") != std::string::npos);
    CHECK(why.find("0644") != std::string::npos);
    CHECK(why.find(kKey) == std::string::npos);
}

}  // namespace hubgate::test
