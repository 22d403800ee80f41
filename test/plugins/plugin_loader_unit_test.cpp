// The loader against the probe plugin (C, driven by its payload), its deliberately broken builds,
// and a C++ plugin whose hooks throw.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "harness/scratch_dir.hpp"
#include "hubgate/plugins/plugin_error.hpp"
#include "hubgate/plugins/plugin_loader.hpp"

using hubgate::mappings::Properties;
using hubgate::plugins::Hook;
using hubgate::plugins::load_plugin;
using hubgate::plugins::PluginError;
using hubgate::plugins::PluginHook;
using hubgate::plugins::PluginSpec;

namespace {

const std::filesystem::path kLibDir = HUBGATE_LIB_DIR;

std::unique_ptr<PluginHook> load(const std::string& file, const std::string& config = "{}") {
    return load_plugin(kLibDir, PluginSpec{"probe-1", file, config});
}

// The PluginError message of loading `file`, or "" when it loaded.
std::string load_error(const std::filesystem::path& dir, const std::string& file,
                       const std::string& config = "{}") {
    try {
        load_plugin(dir, PluginSpec{"broken", file, config});
    } catch (const PluginError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("a valid plugin loads with its descriptor and registered hooks") {
    const auto plugin = load("test-probe.so");
    CHECK(plugin->name() == "probe-1");
    CHECK(plugin->info().name == "probe");
    CHECK(plugin->info().version == "0.0.1");
    CHECK(plugin->info().trust == "trusted-input-only: tests only");
    CHECK(plugin->info().abi_major == HUBGATE_PLUGIN_ABI_MAJOR);
    CHECK(plugin->implements(Hook::DeriveDeviceId));
    CHECK(plugin->implements(Hook::TransformUplink));
    CHECK(plugin->implements(Hook::TransformDownlink));
}

TEST_CASE("derive_device_id: the plugin's id replaces the template, or the template stays") {
    const auto plugin = load("test-probe.so");
    std::string id = "from-template";
    CHECK_FALSE(plugin->derive_device_id("t/1", "id=sensor-7", id));
    CHECK(id == "sensor-7");
    id = "from-template";
    CHECK_FALSE(plugin->derive_device_id("t/1", "no id here", id));
    CHECK(id == "from-template");
    CHECK(plugin->counters(Hook::DeriveDeviceId).calls == 2);
    CHECK(plugin->counters(Hook::DeriveDeviceId).failures == 0);
}

TEST_CASE("register_hook is refused outside create()") {
    const auto plugin = load("test-probe.so");
    std::string id;
    CHECK_FALSE(plugin->derive_device_id("t/1", "register-late", id));
    CHECK(id == "late-" + std::to_string(HUBGATE_PLUGIN_INVALID));
}

TEST_CASE("a failing hook rejects that one message with a reason and is counted") {
    struct Case {
        const char* payload;
        const char* reason;
    };
    const Case cases[] = {
        {"fail", "derive_device_id: probe rejects 'fail'"},
        {"fail-silent", "derive_device_id: failed with code 1 and no message"},
        // The setter failed and the plugin returned OK anyway: the id would be missing.
        {"huge", "derive_device_id: set_device_id: "},
        {"null", "derive_device_id: set_device_id: NULL data with a non-zero size"},
    };
    const auto plugin = load("test-probe.so");
    uint64_t failures = 0;
    for (const auto& c : cases) {
        CAPTURE(c.payload);
        std::string id = "kept";
        const auto error = plugin->derive_device_id("t/1", c.payload, id);
        REQUIRE(error);
        CHECK(error->message.starts_with(c.reason));
        CHECK(id == "kept");
        CHECK(plugin->counters(Hook::DeriveDeviceId).failures == ++failures);
    }
    // The next message goes through: one failure rejects one message only.
    std::string id;
    CHECK_FALSE(plugin->derive_device_id("t/1", "id=ok", id));
    CHECK(id == "ok");
}

TEST_CASE("transform_uplink rewrites the payload and sets, replaces and removes properties") {
    const auto plugin = load("test-probe.so");
    std::string payload = "21.5";
    Properties properties = {{"site", "north"}, {"drop-me", "x"}, {"probe", "old"}};
    CHECK_FALSE(plugin->transform_uplink("dev-1", payload, properties));
    CHECK(payload == "21.5|dev-1");
    CHECK(properties == Properties{{"site", "north"}, {"probe", "seen"}});

    payload = "keep";
    properties = {{"drop-me", "x"}};
    CHECK_FALSE(plugin->transform_uplink("dev-1", payload, properties));
    CHECK(payload == "keep");
    CHECK(properties == Properties{{"drop-me", "x"}});

    payload = "fail";
    const auto error = plugin->transform_uplink("dev-1", payload, properties);
    REQUIRE(error);
    CHECK(error->message == "transform_uplink: probe rejects 'fail'");
    CHECK(payload == "fail");
    CHECK(plugin->counters(Hook::TransformUplink).calls == 3);
    CHECK(plugin->counters(Hook::TransformUplink).failures == 1);
}

TEST_CASE("transform_downlink sees the kind and rewrites the payload") {
    const auto plugin = load("test-probe.so");
    for (const char* kind : {"c2d", "desired", "method", "twin"}) {
        std::string payload = "{}";
        CHECK_FALSE(plugin->transform_downlink("dev-1", kind, payload));
        CHECK(payload == std::string(kind) + ":{}");
    }
    std::string payload = "fail";
    CHECK(plugin->transform_downlink("dev-1", "c2d", payload));
    CHECK(plugin->counters(Hook::TransformDownlink).failures == 1);
}

TEST_CASE("hooks a plugin did not register change nothing and are not counted") {
    const auto plugin = load("test-probe.so", R"({"no_hooks": true})");
    CHECK_FALSE(plugin->implements(Hook::DeriveDeviceId));
    std::string id = "template";
    CHECK_FALSE(plugin->derive_device_id("t", "id=x", id));
    CHECK(id == "template");
    std::string payload = "p";
    Properties properties;
    CHECK_FALSE(plugin->transform_uplink("d", payload, properties));
    CHECK(payload == "p");
    CHECK(plugin->counters(Hook::DeriveDeviceId).calls == 0);
    CHECK(plugin->counters(Hook::TransformUplink).calls == 0);
}

TEST_CASE("load failures name the plugin and file and say what is wrong") {
    struct Case {
        const char* file;
        std::string expected;
    };
    const Case cases[] = {
        {"no-such-plugin.so", "plugin file not found"},
        {"test-probe-no-entry.so", "does not export hubgate_plugin_entry()"},
        {"test-null-descriptor.so", "hubgate_plugin_entry() returned NULL"},
        {"test-probe-wrong-major.so", "built for plugin ABI 2." +
                                          std::to_string(HUBGATE_PLUGIN_ABI_MINOR) +
                                          ", this hubgate supports 1.x: rebuild the plugin"},
        {"test-probe-short-struct.so",
         "descriptor struct_size 40 is smaller than the ABI 1.0 descriptor (56 bytes)"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.file);
        const auto message = load_error(kLibDir, c.file);
        CHECK(message.starts_with("plugin 'broken': " + (kLibDir / c.file).string() + ": "));
        CHECK(message.find(c.expected) != std::string::npos);
    }
}

TEST_CASE("a relative file is found in the plugin directory, an absolute one where it says") {
    CHECK(load_error(kLibDir, "test-probe.so").empty());
    CHECK(load_error("/nonexistent", (kLibDir / "test-probe.so").string()).empty());
    CHECK(load_error("/nonexistent", "test-probe.so") ==
          "plugin 'broken': /nonexistent/test-probe.so: plugin file not found");
    CHECK(load_error(kLibDir, "") == "plugin 'broken': no plugin file given");
}

TEST_CASE("a file that is not a shared library is a load error, not a crash") {
    const hubgate::test::ScratchDir dir("hubgate-plugin-test");
    dir.write("garbage.so", "not an ELF file");
    const auto message = load_error(dir.path(), "garbage.so");
    CHECK(message.find("garbage.so: cannot load: ") != std::string::npos);
}

TEST_CASE("a plugin of a newer minor version with a larger descriptor is accepted") {
    const auto plugin = load("test-probe-future-minor.so");
    CHECK(plugin->info().abi_minor == HUBGATE_PLUGIN_ABI_MINOR + 1);
    std::string id;
    CHECK_FALSE(plugin->derive_device_id("t", "id=still-works", id));
    CHECK(id == "still-works");
}

TEST_CASE("create() refusing its config is a load error carrying the plugin's reason") {
    CHECK(load_error(kLibDir, "test-probe.so", R"({"fail_create": true})") ==
          "plugin 'broken' (" + (kLibDir / "test-probe.so").string() +
              "): create() refused its config: create refused: fail_create is set");
}

TEST_CASE("exceptions from a C++ plugin never escape the loader") {
    CHECK(load_error(kLibDir, "test-thrower.so", R"({"throw_in_create": 1})")
              .ends_with("create() threw an exception"));

    const auto plugin = load("test-thrower.so");
    std::string id = "template";
    const auto error = plugin->derive_device_id("t", "x", id);
    REQUIRE(error);
    CHECK(error->message.find("threw an exception across the C ABI") != std::string::npos);
    CHECK(id == "template");
    std::string payload = "x";
    Properties properties;
    CHECK(plugin->transform_uplink("d", payload, properties));
    CHECK(plugin->transform_downlink("d", "c2d", payload));
    CHECK(plugin->counters(Hook::DeriveDeviceId).failures == 1);
    CHECK(plugin->counters(Hook::TransformUplink).failures == 1);
    CHECK(plugin->counters(Hook::TransformDownlink).failures == 1);
}

TEST_CASE("an ABI 1.1 plugin's declared settings and hooks are read from its descriptor") {
    const auto plugin = load("test-probe-declared.so");
    const auto& info = plugin->info();
    CHECK(info.abi_minor == HUBGATE_PLUGIN_ABI_MINOR);
    REQUIRE(info.settings);
    const auto& settings = *info.settings;
    REQUIRE(settings.size() == 7);
    CHECK(settings[0].name == "label");
    CHECK(settings[0].required);
    CHECK_FALSE(settings[0].default_json);
    CHECK(settings[1].name == "mode");
    CHECK(settings[1].choices == std::vector<std::string>{"fast", "slow"});
    CHECK(settings[1].default_json == "\"fast\"");
    CHECK(settings[2].type == hubgate::plugins::SettingType::Integer);
    CHECK(settings[5].type == hubgate::plugins::SettingType::StringList);
    CHECK(settings[6].type == hubgate::plugins::SettingType::TableList);
    REQUIRE(settings[6].fields.size() == 2);
    CHECK(settings[6].fields[0].name == "name");
    CHECK(settings[6].fields[1].default_json == "8");
    REQUIRE(info.hooks);
    CHECK(*info.hooks ==
          std::vector<int32_t>{HUBGATE_HOOK_DERIVE_DEVICE_ID, HUBGATE_HOOK_TRANSFORM_UPLINK});
    // create() registers all three; the one it did not declare is refused.
    CHECK(plugin->implements(Hook::DeriveDeviceId));
    CHECK(plugin->implements(Hook::TransformUplink));
    CHECK_FALSE(plugin->implements(Hook::TransformDownlink));
}

TEST_CASE("a plugin built against the ABI 1.0 header loads, declaring nothing") {
    const auto plugin = load("test-probe-abi-1-0.so");
    CHECK(plugin->info().abi_major == 1);
    CHECK(plugin->info().abi_minor == 0);
    CHECK_FALSE(plugin->info().settings);
    CHECK_FALSE(plugin->info().hooks);
    CHECK(plugin->implements(Hook::DeriveDeviceId));
    CHECK(plugin->implements(Hook::TransformDownlink));
    std::string id;
    CHECK_FALSE(plugin->derive_device_id("t/1", "id=old-7", id));
    CHECK(id == "old-7");
}

TEST_CASE("a 1.1 plugin that declares nothing loads like a 1.0 one") {
    const auto plugin = load("test-probe.so");
    CHECK_FALSE(plugin->info().settings);
    CHECK_FALSE(plugin->info().hooks);
}

TEST_CASE("a malformed setting declaration fails loading, naming the setting") {
    const auto message = load_error(kLibDir, "test-probe-bad-setting.so");
    CHECK(message.find("plugin 'broken'") != std::string::npos);
    CHECK(message.find("declared setting 'future' has unknown type 99") != std::string::npos);
}
