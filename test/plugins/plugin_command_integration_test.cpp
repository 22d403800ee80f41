// The plugin author's and operator's view of declared settings, end to end with the real
// executable and the shipped plugins: `hubgate check` on plugins.<name>.config, and
// `hubgate plugin info FILE`.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "harness/process.hpp"
#include "harness/scratch_dir.hpp"

using namespace hubgate::test;

namespace {

const std::string kHead = R"([hub]
hostname = "myhub.azure-devices.net"

[auth]
mode = "x509"
cert_file = "certs/{device}.pem"
cert_key_file = "certs/{device}.key"

[plugins]
dir = ")" HUBGATE_LIB_DIR R"("
)";

RunResult run_hubgate(std::vector<std::string> args) {
    args.insert(args.begin(), HUBGATE_BIN_DIR "/hubgate");
    return run(args, 30s);
}

// `hubgate check` on kHead followed by `plugins` (the [plugins.<name>] tables, from line 12).
RunResult check(const std::string& plugins) {
    ScratchDir dir{"hubgate-plugin-check"};
    const auto config = dir.write("hubgate.toml", kHead + "\n" + plugins).string();
    auto result = run_hubgate({"check", "-c", config});
    // Paths differ per run: keep what follows the file name.
    std::string output;
    size_t at = 0;
    while (at < result.output.size()) {
        size_t end = result.output.find('\n', at);
        if (end == std::string::npos)
            end = result.output.size();
        std::string line = result.output.substr(at, end - at);
        if (const auto name = line.find("hubgate.toml:"); name != std::string::npos)
            line = line.substr(name);
        output += line + "\n";
        at = end + 1;
    }
    result.output = output;
    return result;
}

}  // namespace

TEST_CASE("hubgate check points at a misspelt plugin setting, as at a misspelt hubgate key") {
    const auto result = check(R"([plugins.identity]
file = "json-identity.so"
config = { feild = "serial", on_missing = "skip" }

[plugins.meter]
file = "text-to-json.so"
config = { format = "csv", fields = [ { name = "kwh", typ = "number" } ] }
)");
    INFO(result.output);
    CHECK(result.status == 1);
    CHECK(result.output ==
          "hubgate.toml:14:12: plugins.identity.config.feild: unknown key; did you mean 'field'? "
          "allowed keys in [plugins.identity.config]: field, prefix, on_missing\n"
          "hubgate.toml:14:43: plugins.identity.config.on_missing: unknown value \"skip\"; "
          "expected one of \"reject\", \"keep\"\n"
          "hubgate.toml:18:55: plugins.meter.config.fields[0].typ: unknown key; did you mean "
          "'type'? allowed keys in [plugins.meter.config.fields[0]]: name, type\n"
          "hubgate check: 3 problems found\n");
}

TEST_CASE("hubgate check accepts the shipped plugins' settings and fills in their defaults") {
    const auto result = check(R"([plugins.identity]
file = "json-identity.so"
config = { field = "serial" }

[plugins.meter]
file = "text-to-json.so"
config = { format = "kv" }
)");
    INFO(result.output);
    CHECK(result.status == 0);
    CHECK(result.output.find("OK") != std::string::npos);
}

TEST_CASE("hubgate plugin info prints a shipped plugin's hooks and settings") {
    const auto result = run_hubgate({"plugin", "info", HUBGATE_LIB_DIR "/text-to-json.so"});
    INFO(result.output);
    CHECK(result.status == 0);
    for (const char* line : {
             "text-to-json 1.1.0\n",
             "plugin ABI: 1.1\n",
             "hooks: transform_uplink\n",
             "  format (one of \"csv\", \"kv\", required): CSV lines, or key=value pairs\n",
             "  fields (array of tables, default []): ",
             "    name (string, required): the JSON member name\n",
             "    type (one of \"string\", \"number\", \"integer\", \"boolean\", default "
             "\"string\"): ",
             "  content_type (boolean, default true): ",
         }) {
        CAPTURE(line);
        CHECK(result.output.find(line) != std::string::npos);
    }
}

TEST_CASE("hubgate plugin info on a plugin built before settings existed, and on no plugin") {
    const auto old = run_hubgate({"plugin", "info", HUBGATE_LIB_DIR "/test-probe-abi-1-0.so"});
    INFO(old.output);
    CHECK(old.status == 0);
    CHECK(old.output.find("plugin ABI: 1.0\n") != std::string::npos);
    CHECK(old.output.find("hooks: not declared") != std::string::npos);
    CHECK(old.output.find("settings: not declared") != std::string::npos);

    const auto missing = run_hubgate({"plugin", "info", HUBGATE_LIB_DIR "/no-such-plugin.so"});
    CHECK(missing.status == 2);
    CHECK(missing.output.find("plugin file not found") != std::string::npos);
    CHECK(run_hubgate({"plugin", "list"}).status == 2);
}
