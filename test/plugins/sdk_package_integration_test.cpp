// The plugin author's path end to end: install the SDK component into a fresh prefix, build a
// plugin out of tree with find_package(hubgate), and load the result with hubgate's loader.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "harness/process.hpp"
#include "harness/scratch_dir.hpp"
#include "hubgate/plugins/plugin_loader.hpp"

using namespace hubgate::test;

namespace {

constexpr const char* kPluginCMake = R"(cmake_minimum_required(VERSION 3.16)
project(hello_plugin C)
find_package(hubgate 0.1 REQUIRED)
hubgate_add_plugin(hello SOURCES hello.c)
)";

constexpr const char* kPluginSource = R"(#include <hubgate/plugin.h>
#include <stdio.h>

static int derive(void* instance, void* event_data, char* error, size_t error_size) {
    hubgate_device_id_event* event = (hubgate_device_id_event*)event_data;
    (void)instance, (void)error, (void)error_size;
    return event->set_device_id(event, "hello", 5);
}
static int create(const hubgate_plugin_host* host, const char* config, size_t size,
                  void** instance, char* error, size_t error_size) {
    (void)config, (void)size, (void)error, (void)error_size;
    *instance = NULL;
    return host->register_hook(host, HUBGATE_HOOK_DERIVE_DEVICE_ID, derive);
}
static void destroy(void* instance) { (void)instance; }
static const hubgate_plugin_descriptor descriptor = {
    sizeof(hubgate_plugin_descriptor), HUBGATE_PLUGIN_ABI_MAJOR, HUBGATE_PLUGIN_ABI_MINOR,
    "hello", "1.0.0", "says hello", "untrusted-input-ok: reads nothing", create, destroy};
HUBGATE_PLUGIN_EXPORT const hubgate_plugin_descriptor* hubgate_plugin_entry(void) {
    return &descriptor;
}
)";

void require_ok(const RunResult& result) {
    INFO(result.output);
    REQUIRE(result.status == 0);
}

}  // namespace

TEST_CASE("an out-of-tree plugin builds against the installed SDK and loads") {
    ScratchDir dir("hubgate-sdk");
    const auto prefix = dir.path() / "prefix";
    for (const char* component : {"plugin_sdk", "plugins"}) {
        require_ok(run({CMAKE_COMMAND, "--install", HUBGATE_BUILD_DIR, "--component", component,
                        "--prefix", prefix.string()}));
    }
    CHECK(read_file(prefix / "include/hubgate/plugin.h") ==
          read_file(HUBGATE_SOURCE_DIR "/plugins/include/hubgate/plugin.h"));
    CHECK(std::filesystem::exists(prefix / PLUGIN_INSTALL_DIR / "json-identity.so"));
    CHECK(std::filesystem::exists(prefix / PLUGIN_INSTALL_DIR / "text-to-json.so"));

    dir.write("src/CMakeLists.txt", kPluginCMake);
    dir.write("src/hello.c", kPluginSource);
    const auto build = dir.path() / "build";
    require_ok(
        run({CMAKE_COMMAND, "-S", (dir.path() / "src").string(), "-B", build.string(), "-G",
             CMAKE_GENERATOR_NAME, "-DCMAKE_C_COMPILER=" C_COMPILER,
             "-DCMAKE_PREFIX_PATH=" + prefix.string(), "-DCMAKE_EXPORT_COMPILE_COMMANDS=ON"}));
    require_ok(run({CMAKE_COMMAND, "--build", build.string()}));
    // It compiled against the installed header, not the source tree.
    const auto commands = read_file(build / "compile_commands.json");
    CHECK(commands.find((prefix / "include").string()) != std::string::npos);
    CHECK(commands.find(HUBGATE_SOURCE_DIR) == std::string::npos);

    const auto plugin = hubgate::plugins::load_plugin(build, {"hello", "hello.so", "{}"});
    CHECK(plugin->info().name == "hello");
    std::string id = "template";
    CHECK_FALSE(plugin->derive_device_id("any/topic", "", id));
    CHECK(id == "hello");
}
