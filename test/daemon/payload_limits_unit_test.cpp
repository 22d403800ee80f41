// The payload size limit holds on both sides of the plugins: an uplink payload too large for the
// hub is refused before any plugin sees it, and a downlink payload a plugin inflated beyond the
// limit is refused before it reaches the local broker (a method is answered 413).
#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <memory>

#include "fakes.hpp"
#include "gateway/core/downlink_router.hpp"
#include "gateway/core/uplink_pipeline.hpp"
#include "harness/scratch_dir.hpp"

namespace hubgate::test {

namespace {

constexpr const char* kSizerMapping = R"toml(
[[devices]]
name = "sensors"
id = "{site}-{sensor}"
plugins = ["sizer"]
  [devices.uplink]
  "t/{site}/{sensor}/telemetry" = "telemetry"
  [devices.downlink]
  c2d = "t/{site}/{sensor}/inbox"
  method = "t/{site}/{sensor}/rpc/{method}/{rid}"
)toml";

// Counts uplink calls, and makes every downlink payload `downlink_bytes` long.
class SizerHook final : public mappings::MessageHook {
  public:
    const std::string& name() const override { return name_; }
    std::optional<mappings::HookError> transform_uplink(std::string_view, std::string&,
                                                        mappings::Properties&) override {
        ++uplink_calls;
        return std::nullopt;
    }
    std::optional<mappings::HookError> transform_downlink(std::string_view, std::string_view,
                                                          std::string& payload) override {
        payload.assign(downlink_bytes, 'x');
        return std::nullopt;
    }
    int uplink_calls = 0;
    std::size_t downlink_bytes = 10;

  private:
    std::string name_ = "sizer";
};

// A private folder, removed after everything in it was closed.
struct ScratchFolder {
    ScratchDir scratch{"hubgate-payload-limits"};
    const std::filesystem::path& path = scratch.path();
};

// The uplink and downlink sides with the sizer plugin, fakes at the edges.
struct Rig {
    Rig() {
        std::vector<mappings::MappingSource> sources{{"test.toml", kSizerMapping}};
        mappings::LoadOptions options;
        options.hooks = [this](std::string_view name) -> mappings::MessageHook* {
            return name == "sizer" ? &hook : nullptr;
        };
        auto loaded = mappings::MappingSet::load_texts(sources, options);
        REQUIRE(loaded.ok());
        auto active = std::make_shared<core::LoadedMappings>();
        active->set.emplace(std::move(*loaded.set));
        rules = std::make_unique<core::ActiveMappings>(std::move(active));
        std::string error;
        REQUIRE(devices.load(error));
        spool::SpoolOptions spool_options;
        spool_options.dir = folder.path / "spool";
        spool_ = spool::Spool::open(spool_options, error);
        REQUIRE(spool_);
        // Sender events wait for start(), which this rig never calls: nothing is sent.
        sender = std::make_unique<core::SpoolSender>(*spool_, hub, counters,
                                                     [](std::function<void()>) {});
        downlink = std::make_unique<core::DownlinkRouter>(
            core::DownlinkDeps{*rules, devices, local, methods, counters});
        uplink = std::make_unique<core::UplinkPipeline>(
            core::UplinkDeps{*rules, devices, *spool_, *sender, hub, methods, counters});
    }
    std::uint64_t too_large() const {
        return counters
            .bridge_rejected[static_cast<std::size_t>(core::BridgeReject::payload_too_large)]
            .load();
    }

    ScratchFolder folder;
    SizerHook hook;
    std::unique_ptr<core::ActiveMappings> rules;
    core::DeviceRegistry devices{folder.path / "state"};
    std::unique_ptr<spool::Spool> spool_;
    FakeHub hub;
    FakeLocal local;
    core::BridgeCounters counters;
    HandThread hub_thread;
    core::MethodCalls methods{hub, counters, hub_thread.thread()};
    std::unique_ptr<core::SpoolSender> sender;
    std::unique_ptr<core::DownlinkRouter> downlink;
    std::unique_ptr<core::UplinkPipeline> uplink;
};

}  // namespace

TEST_CASE("an uplink payload above the limit is refused before any plugin sees it") {
    Rig rig;
    const std::string big(core::kMaxTelemetryBytes + 1, 'x');
    CHECK(rig.uplink->handle("t/a/s1/telemetry", big) == core::UplinkOutcome::refused);
    CHECK(rig.hook.uplink_calls == 0);
    CHECK(rig.too_large() == 1);
    // At the limit it goes through the plugin as before.
    const std::string fits(core::kMaxTelemetryBytes, 'x');
    CHECK(rig.uplink->handle("t/a/s1/telemetry", fits) == core::UplinkOutcome::accepted);
    CHECK(rig.hook.uplink_calls == 1);
}

TEST_CASE("a downlink payload a plugin inflated beyond the limit never reaches the local broker") {
    Rig rig;
    REQUIRE(rig.uplink->handle("t/a/s1/telemetry", "1") == core::UplinkOutcome::accepted);

    rig.hook.downlink_bytes = core::kMaxDownlinkBytes;
    rig.downlink->on_c2d({"a-s1", "small", {}});
    REQUIRE(rig.local.snapshot().size() == 1);  // at the limit: published

    rig.hook.downlink_bytes = core::kMaxDownlinkBytes + 1;
    rig.downlink->on_c2d({"a-s1", "small", {}});
    CHECK(rig.local.snapshot().size() == 1);
    CHECK(rig.too_large() == 1);
    CHECK(rig.counters.downlink_failed == 1);

    // A method request is answered 413, with the reason, instead of reaching the device.
    rig.downlink->on_method({"a-s1", "reboot", "7", "{}"});
    REQUIRE(rig.hub.wait([&] { return rig.hub.replies.size() == 1; }));
    CHECK(rig.local.snapshot().size() == 1);
    CHECK(rig.hub.replies[0].status == 413);
    CHECK(rig.hub.replies[0].rid == "7");
    CHECK(rig.hub.replies[0].payload.find("payload_too_large") != std::string::npos);
    CHECK(rig.too_large() == 2);
}

}  // namespace hubgate::test
