// GuardedHook around a real plugin (test/plugins/poison_plugin.c, which registers only
// transform_uplink and transform_downlink): the listener hears of the hooks the plugin runs, and
// only of those.
#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

#include "gateway/core/guarded_hook.hpp"
#include "hubgate/plugins/plugin_loader.hpp"

namespace hubgate::daemon {

namespace {

struct RecordingListener final : core::HookEntryListener {
    std::vector<std::pair<std::string, std::string>> entries;
    void entering(std::string_view plugin, std::string_view hook) override {
        entries.emplace_back(plugin, hook);
    }
};

}  // namespace

TEST_CASE("guarded hook: only the hooks a plugin registered are reported") {
    auto plugin = plugins::load_plugin(HUBGATE_LIB_DIR, {"poison", "test-poison.so", "{}"});
    RecordingListener listener;
    core::GuardedHook hook(*plugin, listener);
    CHECK(hook.name() == "poison");

    std::string device_id = "d1";
    CHECK_FALSE(hook.derive_device_id("t/a", "{}", device_id));
    CHECK(listener.entries.empty());  // not registered: nothing runs, nothing is noted

    std::string payload = "{}";
    mappings::Properties properties;
    CHECK_FALSE(hook.transform_uplink("d1", payload, properties));
    REQUIRE(listener.entries.size() == 1);
    CHECK(listener.entries[0] == std::pair<std::string, std::string>{"poison", "transform_uplink"});

    std::string downlink = "{}";
    CHECK_FALSE(hook.transform_downlink("d1", "c2d", downlink));
    // Downlinks too: a kept C2D message goes through the hooks again after a restart.
    REQUIRE(listener.entries.size() == 2);
    CHECK(listener.entries[1] ==
          std::pair<std::string, std::string>{"poison", "transform_downlink"});
}

}  // namespace hubgate::daemon
