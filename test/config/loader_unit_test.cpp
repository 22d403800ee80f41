// parse_config / load_config: one diagnostic per fault, at the right line, for every kind of fault.
#include <doctest/doctest.h>

#include <cstdlib>

#include "config_test_support.hpp"
#include "gateway/config/config.hpp"
#include "gateway/config/device_keys.hpp"

using namespace hubgate::config;
using hubgate::test::describe;
using hubgate::test::expect_one_error;
using hubgate::test::kMinimalConfig;
using hubgate::test::line_of;
using hubgate::test::parse_in;
using hubgate::test::ScratchDir;
using namespace std::chrono_literals;

namespace {

// kMinimalConfig with `extra` appended to the [auth] table (the last one).
std::string with_auth(const std::string& extra) {
    return kMinimalConfig + extra;
}

}  // namespace

TEST_CASE("a minimal config is valid and carries the documented defaults") {
    ScratchDir dir;
    const auto result = parse_in(dir, kMinimalConfig);
    INFO(describe(result));
    REQUIRE(result.ok());
    const Config& c = result.config;
    CHECK(c.hub.hostname == "myhub.azure-devices.net");
    CHECK(c.hub.connect_host == Endpoint{"myhub.azure-devices.net", 8883});
    CHECK(c.hub.transport == Transport::Mqtt);
    CHECK(c.hub.api_version == "2021-04-12");
    CHECK(c.hub.keepalive == 240s);
    CHECK(c.auth.mode == AuthMode::X509);
    CHECK(c.auth.cert_file == (dir.path() / "certs/{device}.pem").string());
    CHECK(c.auth.token_ttl == 1h);
    CHECK(c.auth.renew_at == doctest::Approx(0.8));
    CHECK(c.local.host == "127.0.0.1");
    CHECK(c.local.port == 1883);
    CHECK(c.local.client_id == "hubgate");
    CHECK(c.local.qos == 1);
    CHECK_FALSE(c.local.tls.enabled());
    CHECK(c.sessions.connect_rate == doctest::Approx(50));
    CHECK(c.sessions.backoff.min == 1s);
    CHECK(c.sessions.backoff.max == 5min);
    CHECK(c.spool.max_size == (1ULL << 30));
    CHECK(c.spool.dir == "/var/lib/hubgate/spool");
    CHECK(c.log.level == "info");
    CHECK_FALSE(c.metrics.listen.has_value());
    CHECK(c.source_file == dir.path() / "hubgate.toml");
    CHECK(c.position_of("hub.hostname").line == 2);
}

TEST_CASE("defaults() matches the defaults a loaded file gets") {
    const Config d = defaults();
    CHECK(d.hub.keepalive == 240s);
    CHECK(d.auth.mode == AuthMode::Policy);
    CHECK(d.sessions.max_inflight == 16);
    CHECK(d.spool.ttl == 7 * 24h);
    CHECK(d.control.socket == "/run/hubgate/control.sock");
}

TEST_CASE("connect_host, transport and metrics.listen fill in what is left out") {
    ScratchDir dir;
    SUBCASE("mqtt-ws defaults to port 443") {
        const auto ws = parse_in(dir, "[hub]\nhostname = \"h.example\"\ntransport = \"mqtt-ws\"\n" +
                                          kMinimalConfig.substr(kMinimalConfig.find("[auth]")));
        REQUIRE(ws.ok());
        CHECK(ws.config.hub.connect_host == Endpoint{"h.example", 443});
    }
    SUBCASE("explicit connect_host") {
        std::string text = kMinimalConfig;
        text.insert(text.find("\n\n[auth]"), "\nconnect_host = \"127.0.0.1:18883\"");
        const auto r = parse_in(dir, text);
        REQUIRE(r.ok());
        CHECK(r.config.hub.connect_host == Endpoint{"127.0.0.1", 18883});
    }
    SUBCASE("a bare metrics port listens on loopback only") {
        const auto r = parse_in(dir, kMinimalConfig + "[metrics]\nlisten = \"9100\"\n");
        REQUIRE(r.ok());
        CHECK(r.config.metrics.listen == Endpoint{"127.0.0.1", 9100});
    }
    SUBCASE("an explicit metrics host is kept") {
        const auto r = parse_in(dir, kMinimalConfig + "[metrics]\nlisten = \"[::]:9100\"\n");
        REQUIRE(r.ok());
        CHECK(r.config.metrics.listen == Endpoint{"::", 9100});
        CHECK(r.config.metrics.listen->to_string() == "[::]:9100");
    }
    SUBCASE("a bad port") {
        const std::string text = kMinimalConfig + "[metrics]\nlisten = \"localhost:99999\"\n";
        expect_one_error(parse_in(dir, text), line_of(text, "listen"), "metrics.listen",
                         "port must be a number from 1 to 65535");
    }
}

TEST_CASE("an unknown key is refused with the keys allowed there") {
    ScratchDir dir;
    std::string text = kMinimalConfig;
    text.insert(text.find("\n\n[auth]"), "\ncolour = \"blue\"");
    const auto r = parse_in(dir, text);
    expect_one_error(r, line_of(text, "colour"), "hub.colour",
                     "allowed keys in [hub]: hostname, connect_host, transport, ca_file, proxy, "
                     "api_version, model_id, keepalive");
    CHECK(r.diagnostics[0].col == 1);
}

TEST_CASE("a misspelt key is reported once, with a suggestion, not also as missing") {
    ScratchDir dir;
    dir.write("policy.key", "c2VjcmV0LWtleQ==\n");
    const std::string text =
        "[hub]\nhostname = \"h.example\"\n[auth]\nmode = \"policy\"\npolcy_name = \"device\"\n"
        "key_file = \"policy.key\"\n";
    expect_one_error(parse_in(dir, text), line_of(text, "polcy_name"), "auth.polcy_name",
                     "did you mean 'policy_name'?");
}

TEST_CASE("a misspelt table is reported once, not also as its missing required keys") {
    ScratchDir dir;
    std::string text = kMinimalConfig;
    text.replace(text.find("[hub]"), 5, "[hubb]");
    expect_one_error(parse_in(dir, text), 1, "hubb", "did you mean 'hub'? allowed top-level keys:");
}

TEST_CASE("a top-level key written after a table gets a hint") {
    ScratchDir dir;
    const std::string text = kMinimalConfig + "mappings = [\"m/*.toml\"]\n";
    expect_one_error(parse_in(dir, text), line_of(text, "mappings"), "auth.mappings",
                     "'mappings' is a top-level key: write it before the first [table]");
}

TEST_CASE("mapping globs are resolved against the config file's folder") {
    ScratchDir dir;
    const auto r =
        parse_in(dir, "mappings = [\"mappings.d/*.toml\", \"/abs/*.toml\"]\n" + kMinimalConfig);
    REQUIRE(r.ok());
    REQUIRE(r.config.mappings.size() == 2);
    CHECK(r.config.mappings[0] == dir.path() / "mappings.d/*.toml");
    CHECK(r.config.mappings[1] == "/abs/*.toml");
    CHECK(r.config.position_of("mappings").line == 1);
    CHECK(r.config.position_of("mappings[1]").line == 1);
    CHECK(r.config.position_of("mappings[1]").col == 34);
}

TEST_CASE("bad durations and sizes point at the value") {
    ScratchDir dir;
    SUBCASE("duration without unit") {
        std::string text = kMinimalConfig;
        text.insert(text.find("\n\n[auth]"), "\nkeepalive = \"240\"");
        const auto r = parse_in(dir, text);
        expect_one_error(r, line_of(text, "keepalive"), "hub.keepalive", "missing unit in \"240\"");
        CHECK(r.diagnostics[0].col == 13);
    }
    SUBCASE("duration out of range") {
        std::string text = kMinimalConfig;
        text.insert(text.find("\n\n[auth]"), "\nkeepalive = \"30m\"");
        expect_one_error(parse_in(dir, text), line_of(text, "keepalive"), "hub.keepalive",
                         "must be between 5s and 19m37s");
    }
    SUBCASE("duration given as a number") {
        const std::string text = with_auth("token_ttl = 3600\n");
        expect_one_error(parse_in(dir, text), line_of(text, "token_ttl"), "auth.token_ttl",
                         "expected a duration string such as \"30s\", found an integer");
    }
    SUBCASE("size with a wrong-case unit") {
        const std::string text = kMinimalConfig + "[spool]\nmax_size = \"1gib\"\n";
        expect_one_error(parse_in(dir, text), line_of(text, "max_size"), "spool.max_size",
                         "did you mean \"GiB\"?");
    }
    SUBCASE("size below the minimum") {
        const std::string text = kMinimalConfig + "[spool]\nmax_size = \"64KiB\"\n";
        expect_one_error(parse_in(dir, text), line_of(text, "max_size"), "spool.max_size",
                         "must be at least 1MiB");
    }
}

TEST_CASE("a value of the wrong type names the expected type") {
    ScratchDir dir;
    struct Row {
        std::string table, line, key, expected;
    };
    const Row rows[] = {
        {"[local]", "port = \"1883\"", "local.port", "expected an integer, found a string"},
        {"[local]", "host = 127", "local.host", "expected a string, found an integer"},
        {"[sessions]", "connect_rate = \"50\"", "sessions.connect_rate",
         "expected a number, found a string"},
        {"[sessions]", "connect_rate = inf", "sessions.connect_rate", "must be a finite number"},
        {"[sessions]", "connect_seen_devices = \"yes\"", "sessions.connect_seen_devices",
         "expected a boolean, found a string"},
        {"[sessions]", "startup_devices = \"dev1\"", "sessions.startup_devices",
         "expected an array of strings, found a string"},
        {"[sessions]", "backoff = \"1s\"", "sessions.backoff", "expected a table, found a string"},
        {"[log]", "level = \"verbose\"", "log.level",
         "unknown value \"verbose\"; expected one of \"trace\", \"debug\""},
    };
    for (const auto& row : rows) {
        CAPTURE(row.line);
        const std::string text = kMinimalConfig + row.table + "\n" + row.line + "\n";
        expect_one_error(parse_in(dir, text), line_of(text, row.line), row.key, row.expected);
    }
}

TEST_CASE("an array element of the wrong type is reported at the element") {
    ScratchDir dir;
    const std::string text =
        kMinimalConfig + "[sessions]\nstartup_devices = [\n  \"a\",\n  7,\n]\n";
    expect_one_error(parse_in(dir, text), line_of(text, "  7"), "sessions.startup_devices",
                     "expected every element to be a string, found an integer");
}

TEST_CASE("a section given as a value is a type error") {
    ScratchDir dir;
    const std::string text = "hub = 5\n" + kMinimalConfig.substr(kMinimalConfig.find("[auth]"));
    expect_one_error(parse_in(dir, text), 1, "hub", "expected a table, found an integer");
}

TEST_CASE("a missing required key is reported at its table, or at the top") {
    ScratchDir dir;
    SUBCASE("table present") {
        std::string text = kMinimalConfig;
        text.erase(text.find("hostname"),
                   text.find('\n', text.find("hostname")) - text.find("hostname") + 1);
        expect_one_error(parse_in(dir, text), 1, "hub.hostname", "required key is missing");
    }
    SUBCASE("table absent") {
        const std::string text = kMinimalConfig.substr(kMinimalConfig.find("[auth]"));
        const auto r = parse_in(dir, text);
        expect_one_error(r, 1, "hub.hostname", "required key is missing");
        CHECK(r.diagnostics[0].col == 1);
    }
}

TEST_CASE("cross-field rules: each auth mode needs its credentials") {
    ScratchDir dir;
    SUBCASE("x509 without a key pattern") {
        std::string text = kMinimalConfig;
        text.erase(text.find("cert_key_file"));
        expect_one_error(parse_in(dir, text), line_of(text, "mode"), "auth.cert_key_file",
                         "required when auth.mode is \"x509\"");
    }
    SUBCASE("a pattern without {device}") {
        std::string text = kMinimalConfig;
        text.replace(text.find("certs/{device}.pem"), 18, "certs/device.pem");
        expect_one_error(parse_in(dir, text), line_of(text, "cert_file"), "auth.cert_file",
                         "must contain {device}");
    }
    SUBCASE("policy without name and key: one error for each") {
        const std::string text = "[hub]\nhostname = \"h.example\"\n[auth]\nmode = \"policy\"\n";
        const auto r = parse_in(dir, text);
        INFO(describe(r));
        REQUIRE(r.diagnostics.size() == 2);
        CHECK(r.diagnostics[0].key_path == "auth.policy_name");
        CHECK(r.diagnostics[1].key_path == "auth.key_file");
        CHECK(r.diagnostics[1].line == 4);
    }
    SUBCASE("policy is the default mode") {
        const auto r = parse_in(dir, "[hub]\nhostname = \"h.example\"\n");
        INFO(describe(r));
        REQUIRE(r.diagnostics.size() == 2);
        CHECK(r.diagnostics[0].message == "required when auth.mode is \"policy\"");
    }
    SUBCASE("device-keys with neither file") {
        const std::string text =
            "[hub]\nhostname = \"h.example\"\n[auth]\nmode = \"device-keys\"\n";
        expect_one_error(parse_in(dir, text), 4, "auth.device_keys_file",
                         "needs device_keys_file (one file of keys) or device_key_file");
    }
    SUBCASE("device-keys with both") {
        dir.write("keys.toml", "dev1 = \"a2V5\"\n");
        const std::string text =
            "[hub]\nhostname = \"h.example\"\n[auth]\nmode = \"device-keys\"\n"
            "device_keys_file = \"keys.toml\"\ndevice_key_file = \"keys/{device}.key\"\n";
        expect_one_error(parse_in(dir, text), 6, "auth.device_key_file", "not both");
    }
    SUBCASE("a bad mode value does not also trigger the mode's requirements") {
        std::string text = kMinimalConfig;
        text.replace(text.find("\"x509\""), 6, "\"x.509\"");
        expect_one_error(parse_in(dir, text), line_of(text, "mode"), "auth.mode",
                         "expected one of \"policy\", \"device-keys\", \"x509\"");
    }
}

TEST_CASE("cross-field rules: back-off, proxy, local credentials and TLS") {
    ScratchDir dir;
    SUBCASE("backoff.min longer than backoff.max") {
        const std::string text =
            kMinimalConfig + "[sessions]\nbackoff = { min = \"10m\", max = \"5m\" }\n";
        expect_one_error(parse_in(dir, text), line_of(text, "backoff"), "sessions.backoff.min",
                         "backoff.min (10m) must not be longer than backoff.max (5m)");
    }
    SUBCASE("only backoff.max set, below the default min") {
        const std::string text = kMinimalConfig + "[sessions.backoff]\nmax = \"500ms\"\n";
        expect_one_error(parse_in(dir, text), line_of(text, "max ="), "sessions.backoff.max",
                         "must not be longer than backoff.max (500ms)");
    }
    SUBCASE("proxy needs mqtt-ws") {
        std::string text = kMinimalConfig;
        text.insert(text.find("\n\n[auth]"), "\nproxy = \"http://proxy.local:3128\"");
        expect_one_error(parse_in(dir, text), line_of(text, "proxy"), "hub.proxy",
                         "needs transport = \"mqtt-ws\"");
    }
    SUBCASE("proxy must be http://host:port") {
        std::string text = kMinimalConfig;
        text.insert(text.find("\n\n[auth]"),
                    "\ntransport = \"mqtt-ws\"\nproxy = \"https://proxy.local\"");
        expect_one_error(parse_in(dir, text), line_of(text, "proxy"), "hub.proxy",
                         "must look like \"http://host:port\"");
    }
    SUBCASE("password_file needs username") {
        dir.write("local.password", "pw\n");
        const std::string text = kMinimalConfig + "[local]\npassword_file = \"local.password\"\n";
        expect_one_error(parse_in(dir, text), line_of(text, "password_file"), "local.username",
                         "required when local.password_file is set");
    }
    SUBCASE("TLS client certificate needs its key and a CA") {
        dir.write("client.pem", "cert");
        dir.write("ca.pem", "ca", 0644);
        const std::string text =
            kMinimalConfig + "[local.tls]\nca_file = \"ca.pem\"\ncert_file = \"client.pem\"\n";
        const auto r = parse_in(dir, text);
        expect_one_error(r, line_of(text, "cert_file = \"client"), "local.tls.key_file",
                         "required when local.tls.cert_file is set");
        CHECK(r.config.local.tls.ca_file == dir.path() / "ca.pem");
    }
    SUBCASE("a CA file that does not exist") {
        std::string text = kMinimalConfig;
        text.insert(text.find("\n\n[auth]"), "\nca_file = \"missing-ca.pem\"");
        expect_one_error(parse_in(dir, text), line_of(text, "ca_file"), "hub.ca_file",
                         "missing-ca.pem: No such file or directory");
    }
}

TEST_CASE("secret files: group- or world-accessible ones are refused, showing the mode") {
    ScratchDir dir;
    const std::string secret = "c2VjcmV0LWtleS1ub3QtdG8tYmUtc2hvd24=";
    const std::string text =
        "[hub]\nhostname = \"h.example\"\n[auth]\npolicy_name = \"device\"\n"
        "key_file = \"keys/policy.key\"\n";
    SUBCASE("0644 is refused") {
        const auto key = dir.write("keys/policy.key", secret, 0644);
        const auto r = parse_in(dir, text);
        expect_one_error(
            r, 5, "auth.key_file",
            key.string() +
                " has mode 0644; it must not be readable by group or others (chmod 600)");
        CHECK(describe(r).find(secret) == std::string::npos);
    }
    SUBCASE("0640 is refused") {
        dir.write("keys/policy.key", secret, 0640);
        expect_one_error(parse_in(dir, text), 5, "auth.key_file", "has mode 0640");
    }
    SUBCASE("0602 is refused as writable") {
        dir.write("keys/policy.key", secret, 0602);
        expect_one_error(parse_in(dir, text), 5, "auth.key_file",
                         "must not be writable by group or others");
    }
    SUBCASE("0600 and 0400 are accepted") {
        dir.write("keys/policy.key", secret, 0600);
        CHECK(parse_in(dir, text).ok());
        dir.write("keys/policy.key", secret, 0400);
        const auto r = parse_in(dir, text);
        CHECK(r.ok());
        CHECK(r.config.auth.key_file == dir.path() / "keys/policy.key");
    }
    SUBCASE("a missing key file") {
        expect_one_error(parse_in(dir, text), 5, "auth.key_file", "No such file or directory");
    }
    SUBCASE("a folder is not a key file") {
        std::filesystem::create_directories(dir.path() / "keys/policy.key");
        expect_one_error(parse_in(dir, text), 5, "auth.key_file", "is not a regular file");
    }
}

TEST_CASE("%d/ names a systemd credential") {
    ScratchDir dir;
    ScratchDir credentials;
    credentials.write("policy.key", "a2V5", 0400);
    const std::string text =
        "[hub]\nhostname = \"h.example\"\n[auth]\npolicy_name = \"device\"\n"
        "key_file = \"%d/policy.key\"\n";
    SUBCASE("with $CREDENTIALS_DIRECTORY") {
        ::setenv("CREDENTIALS_DIRECTORY", credentials.path().c_str(), 1);
        const auto r = parse_in(dir, text);
        ::unsetenv("CREDENTIALS_DIRECTORY");
        INFO(describe(r));
        REQUIRE(r.ok());
        CHECK(r.config.auth.key_file == credentials.path() / "policy.key");
    }
    SUBCASE("without it") {
        ::unsetenv("CREDENTIALS_DIRECTORY");
        expect_one_error(parse_in(dir, text), 5, "auth.key_file",
                         "uses %d, but $CREDENTIALS_DIRECTORY is not set");
    }
}

TEST_CASE("plugins keep file order, find files in plugins.dir, and pass config as JSON") {
    ScratchDir dir;
    const std::string text = kMinimalConfig +
                             "[plugins]\ndir = \"plugins\"\n"
                             "[plugins.zeta]\nfile = \"zeta.so\"\n"
                             "[plugins.alpha]\nfile = \"/opt/alpha.so\"\n"
                             "config = { field = \"serial\", types = [\"int\", \"str\"] }\n";
    const auto r = parse_in(dir, text);
    INFO(describe(r));
    REQUIRE(r.ok());
    const auto& plugins = r.config.plugins.plugins;
    REQUIRE(plugins.size() == 2);
    CHECK(plugins[0].name == "zeta");
    CHECK(plugins[0].file == dir.path() / "plugins/zeta.so");
    CHECK(plugins[0].config_json == "{}");
    CHECK(plugins[0].where.line == line_of(text, "[plugins.zeta]"));
    CHECK(plugins[1].name == "alpha");
    CHECK(plugins[1].file == "/opt/alpha.so");
    CHECK(plugins[1].config_json.find("\"field\"") != std::string::npos);
    CHECK(plugins[1].config_json.find("\"serial\"") != std::string::npos);
    CHECK(plugins[1].config_json.find("\"int\"") != std::string::npos);
}

TEST_CASE("plugin tables: missing file, bad name, unknown key") {
    ScratchDir dir;
    SUBCASE("missing file") {
        const std::string text = kMinimalConfig + "[plugins.csv]\nconfig = { a = 1 }\n";
        expect_one_error(parse_in(dir, text), line_of(text, "[plugins.csv]"), "plugins.csv.file",
                         "required key is missing");
    }
    SUBCASE("unknown key inside a plugin table") {
        const std::string text = kMinimalConfig + "[plugins.csv]\nfile = \"csv.so\"\nfiel = 1\n";
        expect_one_error(parse_in(dir, text), line_of(text, "fiel ="), "plugins.csv.fiel",
                         "allowed keys in [plugins.csv]: file, config");
    }
    SUBCASE("bad name") {
        const std::string text = kMinimalConfig + "[plugins.\"my plugin\"]\nfile = \"x.so\"\n";
        expect_one_error(parse_in(dir, text), line_of(text, "my plugin"), "plugins.my plugin",
                         "plugin names use letters, digits");
    }
    SUBCASE("an unknown key in [plugins] mentions plugin tables") {
        const std::string text = kMinimalConfig + "[plugins]\ndirectory = \"x\"\n";
        expect_one_error(parse_in(dir, text), line_of(text, "directory"), "plugins.directory",
                         "allowed keys in [plugins]: dir, or a [plugins.<name>] table");
    }
}

TEST_CASE("a TOML syntax error is reported with its position") {
    ScratchDir dir;
    std::string text = kMinimalConfig;
    text.insert(text.find("\n\n[auth]"), "\nmodel_id = \"dtmi:x;1");
    const auto r = parse_in(dir, text);
    INFO(describe(r));
    REQUIRE(r.diagnostics.size() == 1);
    CHECK(r.diagnostics[0].line == line_of(text, "model_id"));
    CHECK(r.diagnostics[0].col > 1);
    CHECK(r.diagnostics[0].message.starts_with("TOML syntax error: "));
    CHECK(r.diagnostics[0].message.find("(is a closing quote missing?)") != std::string::npos);
}

TEST_CASE("three faults give three diagnostics, in file order") {
    ScratchDir dir;
    const std::string text = R"([hub]
hostname = "h.example"
keepalive = "4 minutes"
[auth]
mode = "x509"
cert_file = "c/{device}.pem"
[local]
port = 70000
)";
    const auto r = parse_in(dir, text);
    INFO(describe(r));
    REQUIRE(r.diagnostics.size() == 3);
    CHECK(r.diagnostics[0].line == 3);
    CHECK(r.diagnostics[0].key_path == "hub.keepalive");
    CHECK(r.diagnostics[1].line == 5);
    CHECK(r.diagnostics[1].key_path == "auth.cert_key_file");
    CHECK(r.diagnostics[2].line == 8);
    CHECK(r.diagnostics[2].message == "must be between 1 and 65535");
}

TEST_CASE("format_diagnostic") {
    CHECK(format_diagnostic({"/etc/hubgate/hubgate.toml", 3, 13, "hub.keepalive", "bad"}) ==
          "/etc/hubgate/hubgate.toml:3:13: hub.keepalive: bad");
    CHECK(format_diagnostic({"/x.toml", 0, 0, "", "No such file or directory"}) ==
          "/x.toml: No such file or directory");
}

TEST_CASE("load_config reads files and says when it cannot") {
    ScratchDir dir;
    const auto good = dir.write("hubgate.toml", kMinimalConfig);
    CHECK(load_config(good).ok());
    const auto missing = load_config(dir.path() / "nope.toml");
    CHECK(missing.status == LoadStatus::Unreadable);
    REQUIRE(missing.diagnostics.size() == 1);
    CHECK(missing.diagnostics[0].message == "No such file or directory");
    CHECK(load_config(dir.path()).status == LoadStatus::Unreadable);
}

TEST_CASE("startup device ids follow IoT Hub's rules") {
    ScratchDir dir;
    const std::string text =
        kMinimalConfig + "[sessions]\nstartup_devices = [\"plant-1\", \"bad id\"]\n";
    expect_one_error(parse_in(dir, text), line_of(text, "startup_devices"),
                     "sessions.startup_devices", "\"bad id\" is not a valid IoT Hub device id");
}

TEST_CASE("device-keys mode checks the keys file's content, never showing a key") {
    ScratchDir dir;
    const std::string config =
        "[hub]\nhostname = \"h.example\"\n[auth]\nmode = \"device-keys\"\n"
        "device_keys_file = \"keys.toml\"\n";
    SUBCASE("a valid keys file") {
        dir.write("keys.toml",
                  "\"line1-sensor1\" = \"a2V5LW9uZQ==\"\nsensor2 = \"a2V5LXR3bw==\"\n");
        const auto r = parse_in(dir, config);
        INFO(describe(r));
        CHECK(r.ok());
        const auto keys = load_device_keys(dir.path() / "keys.toml");
        CHECK(keys.ok());
        CHECK(keys.keys.size() == 2);
        CHECK(keys.keys.at("line1-sensor1") == "a2V5LW9uZQ==");
    }
    SUBCASE("bad entries are reported in the keys file, one per entry") {
        const auto keys_file = dir.write("keys.toml",
                                         "good = \"a2V5LW9uZQ==\"\n"
                                         "\"bad id\" = \"a2V5LXR3bw==\"\n"
                                         "number = 42\n"
                                         "notbase64 = \"secret-value!\"\n");
        const auto r = parse_in(dir, config);
        INFO(describe(r));
        REQUIRE(r.diagnostics.size() == 3);
        CHECK(r.diagnostics[0].file == keys_file);
        CHECK(r.diagnostics[0].line == 2);
        CHECK(r.diagnostics[0].message.find("not a valid IoT Hub device id") != std::string::npos);
        CHECK(r.diagnostics[1].line == 3);
        CHECK(r.diagnostics[1].message == "expected a base64 key string, found an integer");
        CHECK(r.diagnostics[2].line == 4);
        CHECK(r.diagnostics[2].message == "the key is not valid base64");
        CHECK(describe(r).find("secret-value") == std::string::npos);
        CHECK(describe(r).find("a2V5LXR3bw") == std::string::npos);
    }
    SUBCASE("a syntax error in the keys file withholds the details") {
        dir.write("keys.toml", "dev1 = \"c2VjcmV0LXRleHQ\n");
        const auto r = parse_in(dir, config);
        INFO(describe(r));
        REQUIRE(r.diagnostics.size() == 1);
        CHECK(r.diagnostics[0].line == 1);
        CHECK(r.diagnostics[0].message.find("details withheld") != std::string::npos);
        CHECK(describe(r).find("c2VjcmV0") == std::string::npos);
    }
    SUBCASE("an empty keys file") {
        dir.write("keys.toml", "# nothing yet\n");
        const auto r = parse_in(dir, config);
        REQUIRE(r.diagnostics.size() == 1);
        CHECK(r.diagnostics[0].message == "holds no device keys");
    }
    SUBCASE("a group-readable keys file is refused before it is read") {
        dir.write("keys.toml", "dev1 = \"a2V5\"\n", 0640);
        expect_one_error(parse_in(dir, config), 5, "auth.device_keys_file", "has mode 0640");
    }
}
