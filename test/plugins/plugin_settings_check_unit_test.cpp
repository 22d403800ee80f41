// plugins.<name>.config against a plugin's declared settings (config::check_plugin_settings):
// the messages and positions of hubgate's own keys, and the declared defaults filled in.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "gateway/config/config.hpp"
#include "gateway/config/plugin_settings.hpp"

using hubgate::config::check_plugin_settings;
using hubgate::config::DeclaredSetting;
using hubgate::config::format_diagnostic;
using hubgate::config::PluginSettingsResult;
using hubgate::config::SettingKind;
using nlohmann::json;

namespace {

// What the probe plugin (test/plugins/probe_plugin.c, PROBE_DECLARED) declares.
std::vector<DeclaredSetting> probe_settings() {
    DeclaredSetting column_name{.name = "name", .required = true};
    DeclaredSetting column_width{
        .name = "width", .kind = SettingKind::Integer, .default_json = "8"};
    return {
        {.name = "label", .required = true},
        {.name = "mode", .default_json = R"("fast")", .choices = {"fast", "slow"}},
        {.name = "retries", .kind = SettingKind::Integer, .default_json = "3"},
        {.name = "ratio", .kind = SettingKind::Number, .default_json = "0.5"},
        {.name = "verbose", .kind = SettingKind::Boolean, .default_json = "false"},
        {.name = "tags", .kind = SettingKind::StringList, .default_json = R"(["a"])"},
        {.name = "columns",
         .kind = SettingKind::TableList,
         .default_json = "[]",
         .fields = {column_name, column_width}},
    };
}

// Checks the config table of [plugins.p] in `plugin_tables` (TOML after a minimal config).
PluginSettingsResult check(const std::string& plugin_tables,
                           const std::vector<DeclaredSetting>& declared = probe_settings()) {
    const std::string text = "[hub]\nhostname = \"h.azure-devices.net\"\n\n" + plugin_tables;
    const auto loaded = hubgate::config::parse_config(text, "/etc/hubgate/hubgate.toml");
    REQUIRE(loaded.config.plugins.plugins.size() == 1);
    return check_plugin_settings(loaded.config, loaded.config.plugins.plugins[0], "probe",
                                 declared);
}

std::string messages(const PluginSettingsResult& result) {
    std::string out;
    for (const auto& d : result.diagnostics)
        out += format_diagnostic(d) + "\n";
    return out;
}

}  // namespace

TEST_CASE("a misspelt plugin setting gets file:line:col and 'did you mean', once") {
    const auto result = check(R"([plugins.p]
file = "p.so"
config = { lable = "x" }
)");
    CHECK(messages(result) ==
          "/etc/hubgate/hubgate.toml:6:12: plugins.p.config.lable: unknown key; did you mean "
          "'label'? allowed keys in [plugins.p.config]: label, mode, retries, ratio, verbose, "
          "tags, columns\n");
}

TEST_CASE("wrong types, values outside the choices and missing keys, each at its place") {
    const auto result = check(R"([plugins.p]
file = "p.so"

[plugins.p.config]
mode = "medium"
retries = "three"
tags = ["a", 2]
columns = [ { name = "a" }, { width = 4 }, 7 ]
)");
    CHECK(messages(result) ==
          "/etc/hubgate/hubgate.toml:8:8: plugins.p.config.mode: unknown value \"medium\"; "
          "expected one of \"fast\", \"slow\"\n"
          "/etc/hubgate/hubgate.toml:9:11: plugins.p.config.retries: expected an integer, found "
          "a string\n"
          "/etc/hubgate/hubgate.toml:10:14: plugins.p.config.tags: expected every element to be a "
          "string, found an integer\n"
          "/etc/hubgate/hubgate.toml:11:44: plugins.p.config.columns: expected a table in the "
          "array, found an integer\n"
          "/etc/hubgate/hubgate.toml:7:12: plugins.p.config.label: required key is missing\n");
}

TEST_CASE("the tables of a table list are checked against its declared fields") {
    const auto result = check(R"([plugins.p]
file = "p.so"
config = { label = "x", columns = [ { name = "a" }, { nmae = "b", width = 1.5 } ] }
)");
    CHECK(messages(result) ==
          "/etc/hubgate/hubgate.toml:6:55: plugins.p.config.columns[1].nmae: unknown key; did "
          "you mean 'name'? allowed keys in [plugins.p.config.columns[1]]: name, width\n"
          "/etc/hubgate/hubgate.toml:6:75: plugins.p.config.columns[1].width: expected an "
          "integer, found a float\n");
}

TEST_CASE("a required setting without any config table is reported at the plugin's table") {
    const auto result = check("[plugins.p]\nfile = \"p.so\"\n");
    CHECK(messages(result) ==
          "/etc/hubgate/hubgate.toml:4:10: plugins.p.config.label: required key is missing\n");
}

TEST_CASE("declared defaults fill the config create() gets, and given values stay") {
    const auto result = check(R"([plugins.p]
file = "p.so"
config = { label = "x", retries = 5, columns = [ { name = "a" } ] }
)");
    INFO(messages(result));
    REQUIRE(result.ok());
    CHECK(json::parse(result.config_json) == json::parse(R"({
        "label": "x", "mode": "fast", "retries": 5, "ratio": 0.5, "verbose": false,
        "tags": ["a"], "columns": [ { "name": "a", "width": 8 } ] })"));
}

TEST_CASE("a plugin that declares a default of the wrong type is named as the culprit") {
    const auto result =
        check("[plugins.p]\nfile = \"p.so\"\n",
              {{.name = "retries", .kind = SettingKind::Integer, .default_json = R"("three")"}});
    CHECK(messages(result) ==
          "/etc/hubgate/hubgate.toml:4:10: plugins.p: plugin probe declares an invalid default "
          "for 'retries': expected an integer, found a string (a bug in the plugin: tell its "
          "author)\n");
}
