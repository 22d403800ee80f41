// [provisioning]: the DPS settings, their defaults and their cross-field rules.
#include <doctest/doctest.h>

#include <cstdlib>

#include "config_test_support.hpp"
#include "gateway/config/config.hpp"
#include "gateway/config/hub_connect_hosts.hpp"

using namespace hubgate::config;
using hubgate::test::describe;
using hubgate::test::expect_one_error;
using hubgate::test::kMinimalConfig;
using hubgate::test::line_of;
using hubgate::test::parse_in;
using hubgate::test::ScratchDir;

namespace {

const std::string kGroupKey = "kbbwk6MoamJYldA+HSnmfDk5vs4hRA5O7xh2jY3ERUU=";

// A hub and DPS with a group key, and no [auth] table at all.
const std::string kDpsConfig = R"([hub]
hostname = "myhub.azure-devices.net"

[provisioning]
mode = "dps-symmetric-key"
id_scope = "0ne00000A0A"
group_key_file = "keys/group.key"
)";

}  // namespace

TEST_CASE("provisioning is off by default") {
    ScratchDir dir;
    const auto result = parse_in(dir, kMinimalConfig);
    INFO(describe(result));
    REQUIRE(result.ok());
    const auto& p = result.config.provisioning;
    CHECK(p.mode == ProvisioningMode::None);
    CHECK_FALSE(p.enabled());
    CHECK(p.global_endpoint == "global.azure-devices-provisioning.net");
    CHECK(p.registration_rate * 60 < 200);  // under DPS's per-minute quota
}

TEST_CASE("dps-symmetric-key: the settings, and no auth credentials needed") {
    ScratchDir dir;
    dir.write("keys/group.key", kGroupKey, 0600);
    SUBCASE("defaults") {
        const auto result = parse_in(dir, kDpsConfig);
        INFO(describe(result));
        REQUIRE(result.ok());
        const auto& p = result.config.provisioning;
        CHECK(p.mode == ProvisioningMode::DpsSymmetricKey);
        CHECK(p.id_scope == "0ne00000A0A");
        CHECK(p.group_key_file == dir.path() / "keys/group.key");
        CHECK(p.connect_host == Endpoint{"global.azure-devices-provisioning.net", 8883});
        CHECK(p.payload_json.empty());
    }
    SUBCASE("connect_host, ca_file, rate and payload") {
        dir.write("ca.pem", "-----BEGIN CERTIFICATE-----\n");
        const auto result = parse_in(dir, kDpsConfig +
                                              "connect_host = \"127.0.0.1:45678\"\n"
                                              "ca_file = \"ca.pem\"\n"
                                              "registration_rate = 0.5\n"
                                              "[provisioning.payload]\n"
                                              "site = \"north-{device}\"\n");
        INFO(describe(result));
        REQUIRE(result.ok());
        const auto& p = result.config.provisioning;
        CHECK(p.connect_host == Endpoint{"127.0.0.1", 45678});
        CHECK(p.ca_file == dir.path() / "ca.pem");
        CHECK(p.registration_rate == doctest::Approx(0.5));
        // The table as JSON text (its layout is toml++'s).
        CHECK(p.payload_json.find(R"("site")") != std::string::npos);
        CHECK(p.payload_json.find(R"("north-{device}")") != std::string::npos);
    }
}

TEST_CASE("dps-symmetric-key: what is missing or wrong is reported") {
    ScratchDir dir;
    SUBCASE("no id scope, no group key") {
        const std::string text =
            "[hub]\nhostname = \"h.example\"\n[provisioning]\nmode = \"dps-symmetric-key\"\n";
        const auto r = parse_in(dir, text);
        INFO(describe(r));
        REQUIRE(r.diagnostics.size() == 2);
        CHECK(r.diagnostics[0].key_path == "provisioning.id_scope");
        CHECK(r.diagnostics[0].message ==
              "required when provisioning.mode is \"dps-symmetric-key\"");
        CHECK(r.diagnostics[0].line == 4);
        CHECK(r.diagnostics[1].key_path == "provisioning.group_key_file");
    }
    SUBCASE("a group key others may read is refused, without showing it") {
        dir.write("keys/group.key", kGroupKey, 0644);
        const auto r = parse_in(dir, kDpsConfig);
        expect_one_error(r, line_of(kDpsConfig, "group_key_file"), "provisioning.group_key_file",
                         "has mode 0644");
        CHECK(describe(r).find(kGroupKey) == std::string::npos);
    }
    SUBCASE("a bad id scope") {
        dir.write("keys/group.key", kGroupKey, 0600);
        std::string text = kDpsConfig;
        text.replace(text.find("0ne00000A0A"), 11, "0ne/0");
        expect_one_error(parse_in(dir, text), line_of(text, "id_scope"), "provisioning.id_scope",
                         "must be an ID scope");
    }
    SUBCASE("a rate of 0") {
        dir.write("keys/group.key", kGroupKey, 0600);
        const std::string text = kDpsConfig + "registration_rate = 0\n";
        expect_one_error(parse_in(dir, text), line_of(text, "registration_rate"),
                         "provisioning.registration_rate", "must be greater than 0");
    }
}

TEST_CASE("dps-x509: the group's CA certificate and key, the leaf lifetime and its renewal") {
    ScratchDir dir;
    const std::string text =
        "[hub]\nhostname = \"h.example\"\n[provisioning]\nmode = \"dps-x509\"\n"
        "id_scope = \"0ne00000A0A\"\nca_cert_file = \"ca.pem\"\nca_key_file = \"keys/ca.key\"\n";
    dir.write("ca.pem", "-----BEGIN CERTIFICATE-----\n", 0644);
    SUBCASE("defaults") {
        dir.write("keys/ca.key", "-----BEGIN PRIVATE KEY-----\n", 0600);
        const auto result = parse_in(dir, text);
        INFO(describe(result));
        REQUIRE(result.ok());
        const auto& p = result.config.provisioning;
        CHECK(p.mode == ProvisioningMode::DpsX509);
        CHECK(p.ca_cert_file == dir.path() / "ca.pem");
        CHECK(p.ca_key_file == dir.path() / "keys/ca.key");
        CHECK(p.leaf_lifetime == std::chrono::hours(720));
        CHECK(p.leaf_renew_before == std::chrono::hours(168));
    }
    SUBCASE("the CA key is a secret file") {
        dir.write("keys/ca.key", "-----BEGIN PRIVATE KEY-----\n", 0644);
        expect_one_error(parse_in(dir, text), line_of(text, "ca_key_file"),
                         "provisioning.ca_key_file", "has mode 0644");
    }
    SUBCASE("no CA certificate or key") {
        const auto r =
            parse_in(dir,
                     "[hub]\nhostname = \"h.example\"\n[provisioning]\nmode = \"dps-x509\"\n"
                     "id_scope = \"0ne00000A0A\"\n");
        INFO(describe(r));
        REQUIRE(r.diagnostics.size() == 2);
        CHECK(r.diagnostics[0].key_path == "provisioning.ca_cert_file");
        CHECK(r.diagnostics[0].message == "required when provisioning.mode is \"dps-x509\"");
        CHECK(r.diagnostics[1].key_path == "provisioning.ca_key_file");
    }
    SUBCASE("renewal must come before the end") {
        dir.write("keys/ca.key", "-----BEGIN PRIVATE KEY-----\n", 0600);
        const std::string renew = text + "leaf_lifetime = \"24h\"\nleaf_renew_before = \"48h\"\n";
        expect_one_error(parse_in(dir, renew), line_of(renew, "leaf_renew_before"),
                         "provisioning.leaf_renew_before", "must be shorter than");
    }
}

TEST_CASE("hub_connect_hosts: where the sessions of devices on other hubs connect") {
    ScratchDir dir;
    dir.write("keys/group.key", kGroupKey, 0600);
    SUBCASE("listed hubs, [hub] and unlisted hubs") {
        const auto ok =
            parse_in(dir, kDpsConfig +
                              "hub_connect_hosts = [\"plant-b.example=127.0.0.1:4242\", "
                              "\"Plant-C.example=10.0.0.3\"]\n");
        INFO(describe(ok));
        REQUIRE(ok.ok());
        const auto& config = ok.config;
        CHECK(config.provisioning.hub_connect_hosts.size() == 2);
        CHECK(hub_connect_host(config, "plant-b.example") == "127.0.0.1:4242");
        CHECK(hub_connect_host(config, "plant-c.example") == "10.0.0.3:8883");
        CHECK(hub_connect_host(config, "myhub.azure-devices.net") ==
              "myhub.azure-devices.net:8883");
        CHECK(hub_connect_host(config, "plant-d.azure-devices.net") ==
              "plant-d.azure-devices.net:8883");
    }
    SUBCASE("[hub] keeps its connect_host") {
        std::string text = kDpsConfig;
        text.insert(text.find("\n[provisioning]"), "\nconnect_host = \"127.0.0.1:1111\"");
        const auto ok = parse_in(dir, text);
        INFO(describe(ok));
        REQUIRE(ok.ok());
        CHECK(hub_connect_host(ok.config, "myhub.azure-devices.net") == "127.0.0.1:1111");
    }
    SUBCASE("an entry without a hub or an address is refused") {
        for (const auto* entry : {"127.0.0.1:4242", "plant-b.example=", "=127.0.0.1:1",
                                  "plant-b.example:1=127.0.0.1:1"}) {
            CAPTURE(entry);
            const std::string text = kDpsConfig + "hub_connect_hosts = [\"" + entry + "\"]\n";
            expect_one_error(parse_in(dir, text), line_of(text, "hub_connect_hosts"),
                             "provisioning.hub_connect_hosts", "");
        }
    }
}
