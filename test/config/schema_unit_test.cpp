// The schema table itself, the example config, the generated reference and the validator hook.
#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "config_test_support.hpp"
#include "gateway/config/schema.hpp"
#include "gateway/config/validators.hpp"

using namespace hubgate::config;
using hubgate::test::describe;
using hubgate::test::ScratchDir;

namespace {

std::string read_text(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace

TEST_CASE("every key is fully declared") {
    for (const auto& spec : schema()) {
        CAPTURE(spec.path);
        CHECK_FALSE(spec.description.empty());
        if (spec.kind != Kind::Table)
            CHECK(static_cast<bool>(spec.assign));
        if (spec.kind == Kind::Enum)
            CHECK_FALSE(spec.choices.empty());
        if (spec.required)
            CHECK(spec.default_literal.empty());
        // Every key's table is declared too, so unknown-key messages can list it.
        if (const auto dot = spec.path.rfind('.'); dot != std::string_view::npos) {
            CHECK(find_key(spec.path.substr(0, dot)) != nullptr);
        }
    }
    CHECK(find_key("hub.hostname")->required);
    CHECK(find_key("nope") == nullptr);
}

TEST_CASE("every default parses and passes its own check") {
    CHECK_NOTHROW(defaults());
}

TEST_CASE("the example config/hubgate.toml is valid") {
    ::unsetenv("CREDENTIALS_DIRECTORY");
    const auto result =
        load_config(std::filesystem::path(HUBGATE_SOURCE_DIR) / "config/hubgate.toml");
    INFO(describe(result));
    REQUIRE(result.ok());
    CHECK(result.config.hub.hostname == "contoso.azure-devices.net");
    CHECK(result.config.auth.mode == AuthMode::DeviceKeys);
    CHECK(result.config.auth.device_key_file == "/etc/hubgate/keys/{device}.key");
}

TEST_CASE("docs/configuration.md carries the current reference") {
    const auto doc = read_text(std::filesystem::path(HUBGATE_SOURCE_DIR) / "docs/configuration.md");
    const auto reference = reference_markdown();
    CHECK_MESSAGE(doc.find(reference) != std::string::npos,
                  "regenerate the reference: hubgate check --print-reference");
    for (const auto& spec : schema()) {
        CAPTURE(spec.path);
        if (spec.kind != Kind::Table && spec.kind != Kind::NamedTables) {
            CHECK(reference.find(std::string(spec.description)) != std::string::npos);
        }
    }
}

TEST_CASE("registered validators run in order - one that throws becomes a diagnostic") {
    const size_t before = registered_validators().size();
    register_validator("first", [](const Config& c) {
        return std::vector<Diagnostic>{{c.source_file, 7, 1, "mappings[0]", "first says no"}};
    });
    register_validator("thrower", [](const Config&) -> std::vector<Diagnostic> {
        throw std::runtime_error("boom");
    });
    register_validator("last", [](const Config&) { return std::vector<Diagnostic>{}; });
    REQUIRE(registered_validators().size() == before + 3);
    Config config = defaults();
    config.source_file = "/etc/hubgate/hubgate.toml";
    const auto found = run_validators(config);
    REQUIRE(found.size() == 2);
    CHECK(format_diagnostic(found[0]) ==
          "/etc/hubgate/hubgate.toml:7:1: mappings[0]: first says no");
    CHECK(found[1].message == "internal error in the thrower check: boom");
}
