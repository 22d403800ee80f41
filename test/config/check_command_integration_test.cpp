// `hubgate check` as users run it: exit codes, and exactly one file:line:col error per fault at
// the line each fixture marks with "# <- error".
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <filesystem>
#include <regex>
#include <set>
#include <sstream>

#include "harness/binaries.hpp"
#include "harness/process.hpp"
#include "harness/scratch_dir.hpp"

using hubgate::test::kHubgate;
using hubgate::test::read_file;
using hubgate::test::run;
using hubgate::test::RunResult;
using hubgate::test::ScratchDir;

namespace {

const std::filesystem::path kFixtures =
    std::filesystem::path(HUBGATE_SOURCE_DIR) / "test/config/fixtures";

RunResult check(const std::filesystem::path& file, std::map<std::string, std::string> env = {}) {
    return run({kHubgate, "check", "-c", file.string()}, std::chrono::seconds(30), std::move(env));
}

// Line numbers of the lines that carry the fault marker.
std::multiset<uint32_t> marked_lines(const std::filesystem::path& file) {
    std::multiset<uint32_t> lines;
    std::istringstream text(read_file(file));
    std::string line;
    for (uint32_t number = 1; std::getline(text, line); ++number) {
        if (line.find("# <- error") != std::string::npos)
            lines.insert(number);
    }
    return lines;
}

// Line numbers of the "file:line:col: " diagnostics about `file` in the output.
std::multiset<uint32_t> reported_lines(const std::string& output,
                                       const std::filesystem::path& file) {
    std::multiset<uint32_t> lines;
    const std::regex diagnostic(
        "^" + std::regex_replace(file.string(), std::regex(R"([.^$|()\[\]{}*+?\\])"), R"(\$&)") +
        R"(:(\d+):(\d+): \S)");
    std::istringstream text(output);
    std::string line;
    while (std::getline(text, line)) {
        std::smatch match;
        if (std::regex_search(line, match, diagnostic)) {
            lines.insert(static_cast<uint32_t>(std::stoul(match[1].str())));
        }
    }
    return lines;
}

}  // namespace

TEST_CASE("the example config passes") {
    const auto result = check(std::filesystem::path(HUBGATE_SOURCE_DIR) / "config/hubgate.toml");
    INFO(result.output);
    CHECK(result.status == 0);
    CHECK(result.output.find("hubgate.toml: OK (hub contoso.azure-devices.net via "
                             "contoso.azure-devices.net:8883, auth device-keys") !=
          std::string::npos);
}

TEST_CASE("a policy key delivered as a systemd credential") {
    ScratchDir dir;
    const auto key = dir.write("credentials/policy.key", "cG9saWN5LWtleQ==\n");
    ::chmod(key.c_str(), 0400);
    const auto config =
        dir.write("hubgate.toml",
                  "[hub]\nhostname = \"h.example\"\n"
                  "[auth]\npolicy_name = \"device\"\nkey_file = \"%d/policy.key\"\n");
    const auto with = check(config, {{"CREDENTIALS_DIRECTORY", key.parent_path().string()}});
    INFO(with.output);
    CHECK(with.status == 0);
    const auto without = check(config, {{"CREDENTIALS_DIRECTORY", ""}});
    CHECK(without.status == 1);
    CHECK(without.output.find(config.string() +
                              ":5:12: auth.key_file: \"%d/policy.key\" uses %d, but "
                              "$CREDENTIALS_DIRECTORY is not set") != std::string::npos);
}

TEST_CASE("a config using every section passes") {
    // `hubgate check` also loads the plugins the config names: point the fixture's plugin at a
    // real one, with a config that plugin accepts.
    std::string text = read_file(kFixtures / "valid-x509.toml");
    const auto replace = [&](const std::string& from, const std::string& to) {
        const auto at = text.find(from);
        REQUIRE(at != std::string::npos);
        text.replace(at, from.size(), to);
    };
    replace("dir = \"plugins\"", "dir = \"" + std::string(HUBGATE_LIB_DIR) + "\"");
    replace("file = \"csv_to_json.so\"", "file = \"text-to-json.so\"");
    replace("config = { fields = [\"temp\", \"hum\"], types = { temp = \"float\" } }",
            "config = { format = \"csv\", fields = [ { name = \"temp\", type = \"number\" } ] }");
    ScratchDir dir;
    std::filesystem::copy(kFixtures, dir.path() / "fixtures",
                          std::filesystem::copy_options::recursive);
    const auto file = dir.write("fixtures/valid-x509.toml", text);
    const auto result = check(file);
    INFO(result.output);
    CHECK(result.status == 0);
    CHECK(result.output.find("via 127.0.0.1:18883, auth x509, 1 mapping pattern, 1 plugin") !=
          std::string::npos);
}

TEST_CASE("each broken fixture gives one error per marked fault, at the marked line") {
    for (const char* name :
         {"unknown-key.toml", "bad-duration.toml", "wrong-type.toml", "missing-cross-field.toml",
          "bad-size.toml", "syntax-error.toml", "three-faults.toml"}) {
        CAPTURE(name);
        const auto file = kFixtures / name;
        const auto result = check(file);
        INFO(result.output);
        CHECK(result.status == 1);
        const auto expected = marked_lines(file);
        REQUIRE_FALSE(expected.empty());
        CHECK(reported_lines(result.output, file) == expected);
    }
    const auto three = check(kFixtures / "three-faults.toml");
    CHECK(three.output.find("hubgate check: 3 problems found") != std::string::npos);
}

TEST_CASE("a group-readable key file is refused, showing its mode and not its content") {
    ScratchDir dir;
    const std::string secret = "dGhpcy1zZWNyZXQtbXVzdC1uZXZlci1iZS1wcmludGVk";
    const auto key = dir.write("policy.key", secret);
    ::chmod(key.c_str(), 0644);
    const auto config = dir.write("hubgate.toml",
                                  "[hub]\nhostname = \"h.example\"\n"
                                  "[auth]\nmode = \"policy\"\npolicy_name = \"device\"\n"
                                  "key_file = \"policy.key\"\n");
    const auto result = check(config);
    INFO(result.output);
    CHECK(result.status == 1);
    CHECK(result.output.find(config.string() + ":6:12: auth.key_file: " + key.string() +
                             " has mode 0644; it must not be readable by group or others "
                             "(chmod 600)") != std::string::npos);
    CHECK(result.output.find(secret) == std::string::npos);

    ::chmod(key.c_str(), 0600);
    CHECK(check(config).status == 0);
}

TEST_CASE("usage errors and unreadable files exit 2") {
    const auto missing = check(kFixtures / "no-such-file.toml");
    CHECK(missing.status == 2);
    CHECK(missing.output.find("no-such-file.toml: No such file or directory") != std::string::npos);
    CHECK(run({kHubgate, "check"}).status == 2);
    CHECK(run({kHubgate, "check", "-c"}).status == 2);
    CHECK(run({kHubgate, "check", "--bogus"}).status == 2);
}

TEST_CASE("--print-reference prints the key reference") {
    const auto result = run({kHubgate, "check", "--print-reference"});
    CHECK(result.status == 0);
    CHECK(result.output.starts_with("### Top-level keys"));
    CHECK(result.output.find("| `hub.hostname` | string | **required** |") != std::string::npos);
}

TEST_CASE("mapping files and plugins named by the config are checked too") {
    ScratchDir dir;
    const auto mapping = dir.write("mappings/broken.toml",
                                   "[[devices]]\n"
                                   "id = \"{site}-{missing}\"\n"
                                   "  [devices.uplink]\n"
                                   "  \"plant/{site}/telemetry\" = { send = \"telemetry\" }\n");
    const auto config =
        dir.write("hubgate.toml",
                  "mappings = [\"mappings/*.toml\"]\n"
                  "[hub]\nhostname = \"h.example\"\n"
                  "[auth]\nmode = \"device-keys\"\ndevice_key_file = \"/k/{device}.key\"\n"
                  "[plugins.csv]\nfile = \"no-such-plugin.so\"\n");
    auto result = check(config);
    INFO(result.output);
    CHECK(result.status == 1);
    // The plugin that cannot be loaded is reported at its table in the config.
    CHECK(reported_lines(result.output, config) == std::multiset<uint32_t>{7});

    // Without the plugin, the mapping file's own fault is reported at its line.
    dir.write("hubgate.toml",
              "mappings = [\"mappings/*.toml\"]\n"
              "[hub]\nhostname = \"h.example\"\n"
              "[auth]\nmode = \"device-keys\"\ndevice_key_file = \"/k/{device}.key\"\n");
    result = check(config);
    INFO(result.output);
    CHECK(result.status == 1);
    CHECK(reported_lines(result.output, mapping) == std::multiset<uint32_t>{2});
}
