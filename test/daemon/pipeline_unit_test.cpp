// The bridge's logic without processes or sockets: a real mapping set, spool and device registry
// in a temporary folder, fakes for the sessions and the local broker.
#include <doctest/doctest.h>

#include <unistd.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <thread>

#include "fakes.hpp"
#include "gateway/core/downlink_router.hpp"
#include "gateway/core/uplink_pipeline.hpp"
#include "harness/scratch_dir.hpp"

namespace hubgate::test {

namespace {

using core::UplinkOutcome;
using session::PublishStatus;

constexpr const char* kMapping = R"toml(
[[devices]]
name = "sensors"
id = "{site}-{sensor}"
  [devices.uplink]
  "t/{site}/{sensor}/telemetry" = { send = "telemetry", properties = { site = "{site}" } }
  "t/{site}/{sensor}/state" = "reported"
  "t/{site}/{sensor}/twin/get/{rid}" = "twin-get"
  [devices.downlink]
  c2d = "t/{site}/{sensor}/inbox"
  desired = { topic = "t/{site}/{sensor}/config", retain = true }
  twin = "t/{site}/{sensor}/twin/res/{status}/{rid}"
  method = { topic = "t/{site}/{sensor}/rpc/{method}/{rid}", reply = "t/{site}/{sensor}/rpc/{method}/{rid}/reply/{status}", timeout = "10s" }

[[devices]]
name = "mute"
id = "mute-{n}"
  [devices.uplink]
  "m/{n}/telemetry" = "telemetry"
)toml";

// A private folder removed at the end of the test.
struct Folder {
    ScratchDir scratch{"hubgate-daemon-unit"};
    const std::filesystem::path& path = scratch.path();
};

// The uplink and downlink sides wired as the daemon wires them, with fakes at the edges.
struct Bridge {
    explicit Bridge(std::uint64_t spool_bytes = 1 << 20) {
        std::vector<mappings::MappingSource> sources{{"test.toml", kMapping}};
        auto loaded = mappings::MappingSet::load_texts(sources);
        REQUIRE(loaded.ok());
        auto active = std::make_shared<core::LoadedMappings>();
        active->set.emplace(std::move(*loaded.set));
        rules = std::make_unique<core::ActiveMappings>(std::move(active));
        std::string error;
        REQUIRE(devices.load(error));
        REQUIRE(desired.load(error));
        spool::SpoolOptions options;
        options.dir = folder.path / "spool";
        options.max_bytes = spool_bytes;
        options.max_record_bytes = std::min<std::uint64_t>(spool_bytes / 2, 1 << 20);
        options.window = 4;
        spool_ = spool::Spool::open(options, error);
        REQUIRE(spool_);
        downlink = std::make_unique<core::DownlinkRouter>(
            core::DownlinkDeps{*rules, devices, local, methods, counters, &desired});
        sender = std::make_unique<core::SpoolSender>(
            *spool_, hub, counters,
            [this](std::function<void()> task) { sender_thread.post(std::move(task)); },
            [this](const mappings::UplinkRoute& route, const session::TwinResult& result) {
                downlink->deliver_twin_answer(route, result);
            });
        uplink = std::make_unique<core::UplinkPipeline>(
            core::UplinkDeps{*rules, devices, *spool_, *sender, hub, methods, counters});
        sender->start();
        // As the daemon's housekeeping does (it ticks every second): a device whose send failed
        // is tried again after SpoolSender::kRetryAfter even when no state change comes, e.g.
        // when a test's state change overtakes the failed send's result.
        ticker = std::thread([this] {
            std::unique_lock lock(ticker_mutex);
            while (!ticker_stop.wait_for(lock, std::chrono::milliseconds(100),
                                         [this] { return stopping; })) {
                sender->tick();
            }
        });
    }
    ~Bridge() {
        {
            std::lock_guard lock(ticker_mutex);
            stopping = true;
        }
        ticker_stop.notify_all();
        ticker.join();
        sender->stop();
    }

    Folder folder;
    std::unique_ptr<core::ActiveMappings> rules;
    core::DeviceRegistry devices{folder.path / "state"};
    core::DesiredStateStore desired{folder.path / "state"};
    std::unique_ptr<spool::Spool> spool_;
    FakeHub hub;
    FakeLocal local;
    core::BridgeCounters counters;
    HandThread hub_thread;
    core::MethodCalls methods{hub, counters, hub_thread.thread()};
    // The sender's executor (the session manager's thread in the daemon). Declared before the
    // sender, so it may still run a drain after the sender is gone: that drain must do nothing.
    core::WorkQueue sender_thread;
    std::unique_ptr<core::DownlinkRouter> downlink;
    std::unique_ptr<core::SpoolSender> sender;
    std::unique_ptr<core::UplinkPipeline> uplink;
    std::mutex ticker_mutex;
    std::condition_variable ticker_stop;
    bool stopping = false;
    std::thread ticker;
};

// Waits (bounded) for the sender thread to have processed what the test waits for.
bool eventually(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline) {
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
}

std::string property(const session::Properties& properties, const std::string& name) {
    for (const auto& [key, value] : properties) {
        if (key == name) {
            return value;
        }
    }
    return {};
}

std::uint64_t rejected(const core::BridgeCounters& counters, mappings::RejectReason reason) {
    return counters.mapping_rejected[static_cast<std::size_t>(reason)].load();
}
std::uint64_t rejected(const core::BridgeCounters& counters, core::BridgeReject reason) {
    return counters.bridge_rejected[static_cast<std::size_t>(reason)].load();
}

// A telemetry route of device a-s1 (class "sensors"), as the mapping engine would produce it.
mappings::UplinkRoute sensor_telemetry_route() {
    mappings::UplinkRoute route;
    route.kind = mappings::UplinkKind::telemetry;
    route.device_id = "a-s1";
    route.device_class = "sensors";
    route.captures = {{"site", "a"}, {"sensor", "s1"}};
    return route;
}

}  // namespace

TEST_CASE("telemetry is spooled, sent with the mapping's properties and a $.mid, then acked") {
    Bridge bridge;
    CHECK(bridge.uplink->handle("t/a/s1/telemetry", R"({"v":1})") == UplinkOutcome::accepted);
    REQUIRE(bridge.hub.wait([&] { return bridge.hub.sent.size() == 1; }));
    const auto sent = bridge.hub.locked([&] { return bridge.hub.sent.front(); });
    CHECK(sent.device_id == "a-s1");
    CHECK(sent.payload == R"({"v":1})");
    CHECK(property(sent.properties, "site") == "a");
    CHECK(property(sent.properties, "$.mid").size() == 36);
    // The session was opened with the subscriptions the device's downlink templates need.
    const auto ensured = bridge.hub.locked([&] { return bridge.hub.ensured; });
    REQUIRE(ensured.size() == 1);
    CHECK(ensured[0].second.c2d);
    CHECK(ensured[0].second.methods);
    CHECK(ensured[0].second.desired);
    CHECK(eventually([&] { return bridge.counters.telemetry_acked == 1; }));
    // The ack is counted on the session's side, then handed to the sender thread, which
    // finishes the record: wait for that too.
    CHECK(eventually([&] { return bridge.spool_->backlog("a-s1") == 0; }));
}

TEST_CASE("a device without downlink templates gets a session without subscriptions") {
    Bridge bridge;
    CHECK(bridge.uplink->handle("m/7/telemetry", "1") == UplinkOutcome::accepted);
    const auto ensured = bridge.hub.locked([&] { return bridge.hub.ensured; });
    REQUIRE(ensured.size() == 1);
    CHECK_FALSE(ensured[0].second.downlink());
}

TEST_CASE("a device whose session is down keeps its messages, in order, with the same $.mid") {
    Bridge bridge;
    std::atomic<bool> connected{false};
    bridge.hub.answer = [&](const FakeHub::Sent& sent) {
        if (sent.device_id == "a-down" && !connected) {
            return PublishStatus::NotConnected;
        }
        return PublishStatus::Acked;
    };
    for (int i = 1; i <= 3; ++i) {
        bridge.uplink->handle("t/a/down/telemetry", std::to_string(i));
    }
    // Another device is not held up by the one that is down.
    bridge.uplink->handle("t/a/up/telemetry", "x");
    REQUIRE(bridge.hub.wait([&] {
        return std::any_of(bridge.hub.sent.begin(), bridge.hub.sent.end(),
                           [](const auto& s) { return s.device_id == "a-up"; });
    }));
    CHECK(bridge.spool_->backlog("a-down") == 3);
    const auto first_mid =
        bridge.hub.locked([&] { return property(bridge.hub.sent.front().properties, "$.mid"); });

    connected = true;
    const auto before = bridge.hub.locked([&] { return bridge.hub.sent.size(); });
    bridge.sender->session_state("a-down", session::SessionState::Connected);
    REQUIRE(bridge.hub.wait([&] { return bridge.hub.sent.size() >= before + 3; }));
    const auto resent = bridge.hub.locked([&] {
        return std::vector<FakeHub::Sent>(bridge.hub.sent.begin() + before, bridge.hub.sent.end());
    });
    CHECK(resent[0].payload == "1");
    CHECK(resent[1].payload == "2");
    CHECK(resent[2].payload == "3");
    CHECK(property(resent[0].properties, "$.mid") == first_mid);
    CHECK(eventually([&] { return bridge.spool_->backlog("a-down") == 0; }));
}

TEST_CASE("a message the session refuses for good leaves the spool and is counted") {
    Bridge bridge;
    bridge.hub.answer = [](const FakeHub::Sent&) { return PublishStatus::Rejected; };
    bridge.uplink->handle("t/a/s1/telemetry", "x");
    CHECK(eventually(
        [&] { return rejected(bridge.counters, core::BridgeReject::payload_too_large) == 1; }));
    CHECK(eventually([&] { return bridge.spool_->backlog("a-s1") == 0; }));
}

TEST_CASE("refusals: each counted under its reason, and acknowledged so they are not resent") {
    Bridge bridge;
    CHECK(bridge.uplink->handle("t/a/s1/unknown", "x") == UplinkOutcome::refused);
    CHECK(rejected(bridge.counters, core::BridgeReject::no_rule) == 1);
    CHECK(bridge.uplink->handle("t/a^b/s1/telemetry", "x") == UplinkOutcome::refused);
    CHECK(rejected(bridge.counters, mappings::RejectReason::invalid_device_id) == 1);
    CHECK(bridge.uplink->handle("t/a/s1/state", "not json") == UplinkOutcome::refused);
    CHECK(rejected(bridge.counters, mappings::RejectReason::payload_not_json_object) == 1);
    CHECK(bridge.uplink->handle("t/a/s1/telemetry", std::string(300 * 1024, 'x')) ==
          UplinkOutcome::refused);
    CHECK(rejected(bridge.counters, core::BridgeReject::payload_too_large) == 1);
    CHECK(bridge.counters.rejected_total() == 4);
    CHECK(bridge.counters.summary().find("invalid_device_id=1") != std::string::npos);
    bridge.sender->stop();
    CHECK(bridge.hub.sent.empty());
}

TEST_CASE("a full spool answers retry: the local broker keeps the message") {
    Bridge bridge(64 * 1024);
    bridge.hub.answer = [](const FakeHub::Sent&) { return PublishStatus::NotConnected; };
    UplinkOutcome outcome = UplinkOutcome::accepted;
    for (int i = 0; i < 100 && outcome == UplinkOutcome::accepted; ++i) {
        outcome = bridge.uplink->handle("t/a/s1/telemetry", std::string(4000, 'x'));
    }
    CHECK(outcome == UplinkOutcome::retry);
}

TEST_CASE("reported patches and twin requests go through the spool - the twin answer comes back") {
    Bridge bridge;
    CHECK(bridge.uplink->handle("t/a/s1/state", R"({"fw":"2"})") == UplinkOutcome::accepted);
    REQUIRE(bridge.hub.wait([&] { return bridge.hub.patches.size() == 1; }));
    CHECK(bridge.hub.patches[0].second["fw"] == "2");
    REQUIRE(eventually([&] { return bridge.counters.reported_sent == 1; }));

    CHECK(bridge.uplink->handle("t/a/s1/twin/get/9", "") == UplinkOutcome::accepted);
    REQUIRE(eventually([&] { return bridge.local.snapshot().size() == 1; }));
    const auto published = bridge.local.snapshot();
    CHECK(published[0].topic == "t/a/s1/twin/res/200/9");
    CHECK(nlohmann::json::parse(published[0].payload)["desired"]["x"] == 1);
    // Both are finished once answered: nothing is left to send again after a restart.
    REQUIRE(eventually([&] { return bridge.spool_->backlog("a-s1") == 0; }));
}

TEST_CASE("a reported patch that goes up alone is sent as the device wrote it, not re-encoded") {
    Bridge bridge;
    // Key order and spacing a parse-and-dump would change.
    const std::string patch = R"({ "zeta": 1,  "alpha": [1, 2.50], "fw": "2" })";
    CHECK(bridge.uplink->handle("t/a/s1/state", patch) == UplinkOutcome::accepted);
    REQUIRE(bridge.hub.wait([&] { return bridge.hub.patch_bodies.size() == 1; }));
    CHECK(bridge.hub.locked([&] { return bridge.hub.patch_bodies[0]; }) == patch);
}

TEST_CASE("a twin request's request id and reply topic travel in the record, not in properties") {
    Bridge bridge;
    bridge.sender->stop();  // the record stays in the spool for the test to read
    CHECK(bridge.uplink->handle("t/a/s1/twin/get/17", "") == UplinkOutcome::accepted);
    const auto taken = bridge.spool_->take("a-s1");
    REQUIRE(taken.size() == 1);
    const auto& record = taken[0].message;
    CHECK(record.kind == spool::RecordKind::twin_get);
    CHECK(record.request_id == "17");
    CHECK(record.reply_topic.empty());  // the rule has no `reply`: the answer is rendered then
    CHECK(record.properties.empty());
    CHECK(record.payload.empty());
}

TEST_CASE("a reported patch the hub does not answer stays spooled and is sent again") {
    Bridge bridge;
    bridge.hub.twin_status = 0;  // no answer: the session is offline
    CHECK(bridge.uplink->handle("t/a/s1/state", R"({"fw":"3"})") == UplinkOutcome::accepted);
    REQUIRE(bridge.hub.wait([&] { return bridge.hub.patches.size() == 1; }));
    REQUIRE(eventually([&] { return bridge.spool_->backlog("a-s1") == 1; }));
    CHECK(bridge.counters.reported_sent == 0);
    // The session comes back: the same patch goes out again and is finished this time.
    bridge.hub.twin_status = 204;
    bridge.sender->session_state("a-s1", session::SessionState::Connected);
    REQUIRE(bridge.hub.wait([&] { return bridge.hub.patches.size() == 2; }));
    CHECK(bridge.hub.patches[1].second["fw"] == "3");
    REQUIRE(eventually([&] { return bridge.spool_->backlog("a-s1") == 0; }));
    CHECK(bridge.counters.reported_sent == 1);
}

TEST_CASE("a reported patch the hub refuses with 400 is dropped, counted, and does not block") {
    Bridge bridge;
    bridge.hub.twin_status = 400;
    CHECK(bridge.uplink->handle("t/a/s1/state", R"({"fw":"4"})") == UplinkOutcome::accepted);
    REQUIRE(eventually([&] { return bridge.counters.reported_failed == 1; }));
    REQUIRE(eventually([&] { return bridge.spool_->backlog("a-s1") == 0; }));
    CHECK(bridge.uplink->handle("t/a/s1/telemetry", "after") == UplinkOutcome::accepted);
    REQUIRE(bridge.hub.wait([&] { return bridge.hub.sent.size() == 1; }));
}

TEST_CASE("a twin request the hub does not answer is asked again, not answered with an error") {
    Bridge bridge;
    bridge.hub.twin_status = 0;
    CHECK(bridge.uplink->handle("t/a/s1/twin/get/5", "") == UplinkOutcome::accepted);
    REQUIRE(bridge.hub.wait([&] { return bridge.hub.twin_gets.size() == 1; }));
    REQUIRE(eventually([&] { return bridge.spool_->backlog("a-s1") == 1; }));
    CHECK(bridge.local.snapshot().empty());
    bridge.hub.twin_status = 200;
    bridge.sender->session_state("a-s1", session::SessionState::Connected);
    REQUIRE(eventually([&] { return bridge.local.snapshot().size() == 1; }));
    CHECK(bridge.local.snapshot()[0].topic == "t/a/s1/twin/res/200/5");
    REQUIRE(eventually([&] { return bridge.spool_->backlog("a-s1") == 0; }));
}

TEST_CASE("downlinks: C2D, desired (retained) and method requests reach the device's topics") {
    Bridge bridge;
    bridge.uplink->handle("t/a/s1/telemetry", "x");  // the device becomes known
    bridge.downlink->on_c2d({"a-s1", "hello", {}});
    bridge.downlink->on_desired({"a-s1", {{"rate", 5}, {"$version", 3}}, 3, false});
    bridge.downlink->on_method({"a-s1", "reboot", "17", R"({"delay":1})"});
    const auto published = bridge.local.snapshot();
    REQUIRE(published.size() == 3);
    CHECK(published[0].topic == "t/a/s1/inbox");
    CHECK(published[0].payload == "hello");
    CHECK(published[1].topic == "t/a/s1/config");
    CHECK(published[1].retain);
    CHECK(nlohmann::json::parse(published[1].payload)["rate"] == 5);
    CHECK(published[2].topic == "t/a/s1/rpc/reboot/17");
    CHECK(bridge.methods.pending() == 1);

    // The device's reply is correlated by the rid in its topic and answers the hub.
    CHECK(bridge.uplink->handle("t/a/s1/rpc/reboot/17/reply/200", R"({"ok":true})") ==
          UplinkOutcome::accepted);
    REQUIRE(bridge.hub.replies.size() == 1);
    CHECK(bridge.hub.replies[0].rid == "17");
    CHECK(bridge.hub.replies[0].status == 200);
    CHECK(bridge.hub.replies[0].payload == R"({"ok":true})");
    // A second reply has nothing left to answer: taken from the local broker (it would only be
    // sent again), and counted on the hub thread.
    CHECK(bridge.uplink->handle("t/a/s1/rpc/reboot/17/reply/200", "{}") == UplinkOutcome::accepted);
    CHECK(rejected(bridge.counters, core::BridgeReject::unmatched_reply) == 1);
    CHECK(bridge.hub.replies.size() == 1);
}

// Records what the router releases (the C2D journal in the daemon).
struct ReleaseRecorder final : session::C2dKeeper {
    std::optional<std::uint64_t> keep(const std::string&, const std::string&,
                                      const std::string&) override {
        return std::nullopt;
    }
    void release(std::uint64_t ticket) override { released.push_back(ticket); }
    std::vector<std::uint64_t> released;
};

TEST_CASE("a kept C2D message is published with its ticket, or released when it goes nowhere") {
    Bridge bridge;
    ReleaseRecorder keeper;
    core::DownlinkRouter router(core::DownlinkDeps{*bridge.rules, bridge.devices, bridge.local,
                                                   bridge.methods, bridge.counters, &bridge.desired,
                                                   nullptr, &keeper});
    bridge.uplink->handle("t/a/s1/telemetry", "x");  // the device becomes known
    router.on_c2d({"a-s1", "hello", {}, 7});
    auto published = bridge.local.snapshot();
    REQUIRE(published.size() == 1);
    CHECK(published[0].ticket == 7);  // released by the local link's acknowledgement
    CHECK(keeper.released.empty());

    router.on_c2d({"nobody", "lost", {}, 8});  // no rule renders it
    bridge.local.accept = false;
    router.on_c2d({"a-s1", "refused", {}, 9});  // the link does not take it
    CHECK(keeper.released == std::vector<std::uint64_t>{8, 9});
    CHECK(bridge.local.snapshot().size() == 1);
}

TEST_CASE("a method for a device without a method template is answered 501 by the bridge") {
    Bridge bridge;
    bridge.uplink->handle("m/7/telemetry", "1");
    bridge.downlink->on_method({"mute-7", "reboot", "5", "null"});
    REQUIRE(bridge.hub.wait([&] { return bridge.hub.replies.size() == 1; }));
    CHECK(bridge.hub.replies[0].status == 501);
    CHECK(bridge.local.snapshot().empty());
}

TEST_CASE("a method request the local broker does not take is answered 503") {
    Bridge bridge;
    bridge.uplink->handle("t/a/s1/telemetry", "x");
    bridge.local.accept = false;
    bridge.downlink->on_method({"a-s1", "reboot", "5", "null"});
    REQUIRE(bridge.hub.wait([&] { return bridge.hub.replies.size() == 1; }));
    CHECK(bridge.hub.replies[0].status == 503);
    CHECK(bridge.methods.pending() == 0);
}

// An executor the test runs by hand, to see when the sender posts its work.
struct HandRunExecutor {
    std::vector<std::function<void()>> tasks;
    core::Executor executor() {
        return [this](std::function<void()> task) { tasks.push_back(std::move(task)); };
    }
    void run_all() {
        auto now = std::exchange(tasks, {});
        for (auto& task : now) {
            task();
        }
    }
};

// A spool holding one telemetry message of `device_id`.
std::unique_ptr<spool::Spool> spool_with_message(const Folder& folder,
                                                 const std::string& device_id) {
    spool::SpoolOptions options;
    options.dir = folder.path / "spool";
    std::string error;
    auto spool = spool::Spool::open(options, error);
    REQUIRE(spool);
    spool::SpoolMessage message;
    message.device_id = device_id;
    message.kind = spool::RecordKind::telemetry;
    message.payload = "x";
    REQUIRE(spool->append(std::move(message)).status == spool::AppendStatus::ok);
    REQUIRE(spool->commit());
    return spool;
}

// A sender over a spool holding one message of a-s1, a fake hub and a hand-run executor.
struct SenderRig {
    Folder folder;
    std::unique_ptr<spool::Spool> spool = spool_with_message(folder, "a-s1");
    FakeHub hub;
    core::BridgeCounters counters;
    HandRunExecutor executor;
    std::unique_ptr<core::SpoolSender> make_sender() {
        return std::make_unique<core::SpoolSender>(*spool, hub, counters, executor.executor());
    }
};

TEST_CASE("spool sender: events wait for start(), and a burst of them is one task") {
    SenderRig rig;
    auto& [folder, spool, hub, counters, executor] = rig;
    const auto owned = rig.make_sender();
    auto& sender = *owned;
    sender.notify("a-s1");
    CHECK(executor.tasks.empty());
    sender.start();
    sender.notify("a-s1");
    sender.notify("a-s1");
    CHECK(executor.tasks.size() == 1);
    executor.run_all();
    CHECK(hub.sent.size() == 1);
    // The hub's answer came back as an event: handled by the next task, which acks the spool.
    REQUIRE(executor.tasks.size() == 1);
    executor.run_all();
    CHECK(spool->backlog("a-s1") == 0);
    CHECK(counters.telemetry_acked == 1);
    // The batch wrote its ack to the file, not only to memory.
    CHECK(std::filesystem::file_size(folder.path / "spool" / "acks.log") == 12);

    // Stopped: events wait for the next start.
    sender.stop();
    sender.tick();
    CHECK(executor.tasks.empty());
    sender.start();
    CHECK(executor.tasks.size() == 1);
    executor.run_all();
}

TEST_CASE("spool sender: a device that waits is tried again at a tick once kRetryAfter passed") {
    SenderRig rig;
    auto& [folder, spool, hub, counters, executor] = rig;
    std::atomic<bool> connected{false};
    hub.answer = [&](const FakeHub::Sent&) {
        return connected ? PublishStatus::Acked : PublishStatus::NotConnected;
    };
    const auto owned = rig.make_sender();
    auto& sender = *owned;
    sender.start();
    sender.notify("a-s1");
    executor.run_all();  // sent: not connected
    executor.run_all();  // the result: the device waits
    REQUIRE(hub.sent.size() == 1);
    connected = true;
    // No state change comes (the session may be back already); only ticks do.
    sender.tick();
    executor.run_all();
    CHECK(hub.sent.size() == 1);
    std::this_thread::sleep_for(core::SpoolSender::kRetryAfter + std::chrono::milliseconds(100));
    sender.tick();
    executor.run_all();
    CHECK(hub.sent.size() == 2);
    executor.run_all();
    CHECK(spool->backlog("a-s1") == 0);
}

TEST_CASE("spool sender: work posted before the sender was destroyed does nothing after") {
    SenderRig rig;
    auto& [folder, spool, hub, counters, executor] = rig;
    {
        const auto sender = rig.make_sender();
        sender->start();
        sender->notify("a-s1");
    }
    REQUIRE(executor.tasks.size() == 1);
    executor.run_all();  // reads freed memory (ASan) if the task still reaches the sender
    CHECK(hub.sent.empty());
    CHECK(spool->backlog("a-s1") == 1);
}

TEST_CASE("known devices survive a restart of the registry") {
    Folder folder;
    {
        core::DeviceRegistry devices(folder.path);
        std::string error;
        REQUIRE(devices.load(error));
        devices.remember(sensor_telemetry_route());
        CHECK(devices.save());
    }
    core::DeviceRegistry reloaded(folder.path);
    std::string error;
    REQUIRE(reloaded.load(error));
    CHECK(reloaded.device_ids() == std::vector<std::string>{"a-s1"});
}

TEST_CASE("twin requests of a known device do not rewrite the device file") {
    Folder folder;
    core::DeviceRegistry devices(folder.path);
    std::string error;
    REQUIRE(devices.load(error));
    auto route = sensor_telemetry_route();
    devices.remember(route);
    REQUIRE(devices.save());
    const auto written = std::filesystem::last_write_time(devices.file());
    std::filesystem::last_write_time(devices.file(), written - std::chrono::hours(1));
    route.kind = mappings::UplinkKind::twin_get;
    route.captures.push_back({"rid", "42"});
    devices.remember(route);
    CHECK(devices.save());
    CHECK(std::filesystem::last_write_time(devices.file()) == written - std::chrono::hours(1));
    // A device first seen through a twin request is remembered.
    route.device_id = "a-s2";
    devices.remember(route);
    CHECK(devices.size() == 2);
}

TEST_CASE("new devices are written at the next save, in one write for many") {
    Folder folder;
    core::DeviceRegistry devices(folder.path);
    std::string error;
    REQUIRE(devices.load(error));
    auto route = sensor_telemetry_route();
    for (const char* id : {"a-s1", "a-s2", "a-s3"}) {
        route.device_id = id;
        devices.remember(route);
    }
    CHECK_FALSE(std::filesystem::exists(devices.file()));
    REQUIRE(devices.save());
    REQUIRE(std::filesystem::exists(devices.file()));
    core::DeviceRegistry reloaded(folder.path);
    REQUIRE(reloaded.load(error));
    CHECK(reloaded.size() == 3);

    // Nothing new: the file is left alone.
    const auto written = std::filesystem::last_write_time(devices.file());
    std::filesystem::last_write_time(devices.file(), written - std::chrono::hours(1));
    devices.remember(route);
    CHECK(devices.save());
    CHECK(std::filesystem::last_write_time(devices.file()) == written - std::chrono::hours(1));
}

TEST_CASE("a device file that cannot be written is written at a later save") {
    Folder folder;
    core::DeviceRegistry devices(folder.path);
    std::string error;
    REQUIRE(devices.load(error));
    devices.remember(sensor_telemetry_route());
    // A directory where the file should be: the write fails.
    std::filesystem::create_directories(devices.file());
    CHECK_FALSE(devices.save());
    std::filesystem::remove(devices.file());
    CHECK(devices.save());
    core::DeviceRegistry reloaded(folder.path);
    REQUIRE(reloaded.load(error));
    CHECK(reloaded.device_ids() == std::vector<std::string>{"a-s1"});
}

TEST_CASE("a corrupt device file is moved aside and the registry starts empty") {
    Folder folder;
    std::filesystem::create_directories(folder.path);
    { std::ofstream(folder.path / "devices.json") << "{not json"; }
    core::DeviceRegistry devices(folder.path);
    std::string error;
    REQUIRE(devices.load(error));
    CHECK(devices.size() == 0);
    CHECK(std::filesystem::exists(folder.path / "devices.json.bad"));
}

TEST_CASE("the desired topic carries the whole desired document, kept before it is published") {
    Bridge bridge;
    bridge.uplink->handle("t/a/s1/telemetry", "x");  // the device becomes known
    bridge.downlink->on_desired({"a-s1", {{"rate_s", 7}, {"$version", 2}}, 2, false});
    bridge.downlink->on_desired({"a-s1", {{"mode", "eco"}, {"$version", 3}}, 3, false});
    auto published = bridge.local.snapshot();
    REQUIRE(published.size() == 2);
    CHECK(published[1].topic == "t/a/s1/config");
    CHECK(published[1].retain);
    const auto state = nlohmann::json::parse(published[1].payload);
    CHECK(state == nlohmann::json{{"rate_s", 7}, {"mode", "eco"}, {"$version", 3}});
    CHECK(bridge.desired.state_of("a-s1") == state);

    // A delete by null, then a patch that is not newer: ignored and counted, nothing published.
    bridge.downlink->on_desired({"a-s1", {{"rate_s", nullptr}, {"$version", 4}}, 4, false});
    bridge.downlink->on_desired({"a-s1", {{"mode", "boost"}, {"$version", 3}}, 3, false});
    published = bridge.local.snapshot();
    REQUIRE(published.size() == 3);
    CHECK(nlohmann::json::parse(published[2].payload) ==
          nlohmann::json{{"mode", "eco"}, {"$version", 4}});
    CHECK(bridge.counters.desired_stale == 1);

    // After a reconnect the hub's document replaces the kept one; the same one again is no news.
    bridge.downlink->on_desired({"a-s1", {{"fan", true}, {"$version", 7}}, 7, true});
    bridge.downlink->on_desired({"a-s1", {{"fan", true}, {"$version", 7}}, 7, true});
    published = bridge.local.snapshot();
    REQUIRE(published.size() == 4);
    CHECK(nlohmann::json::parse(published[3].payload) ==
          nlohmann::json{{"fan", true}, {"$version", 7}});

    // A new router over the same state directory (a restart) publishes the kept state again.
    FakeLocal after_restart;
    core::DesiredStateStore reloaded{bridge.folder.path / "state"};
    std::string error;
    REQUIRE(reloaded.load(error));
    core::DownlinkRouter restarted(core::DownlinkDeps{*bridge.rules, bridge.devices, after_restart,
                                                      bridge.methods, bridge.counters, &reloaded});
    restarted.publish_kept_desired_states();
    REQUIRE(after_restart.snapshot().size() == 1);
    CHECK(after_restart.snapshot()[0].topic == "t/a/s1/config");
    CHECK(after_restart.snapshot()[0].retain);
    CHECK(nlohmann::json::parse(after_restart.snapshot()[0].payload) ==
          nlohmann::json{{"fan", true}, {"$version", 7}});
    // A hub whose twin was created again counts versions afresh: its patch at $version 2 is
    // refused as stale, and the whole document its GET returns then replaces the kept one.
    bridge.downlink->on_desired({"a-s1", {{"fan", false}, {"$version", 2}}, 2, false});
    CHECK(bridge.local.snapshot().size() == 4);
    bridge.downlink->on_desired({"a-s1", {{"fan", false}, {"$version", 2}}, 2, true});
    published = bridge.local.snapshot();
    REQUIRE(published.size() == 5);
    CHECK(nlohmann::json::parse(published[4].payload) ==
          nlohmann::json{{"fan", false}, {"$version", 2}});
}

TEST_CASE("reported patches held back while the session is down go up as one PATCH") {
    Bridge bridge;  // a spool window of 4: the run of patches goes past it
    bridge.sender->session_state("a-s1", session::SessionState::BackingOff);
    nlohmann::json expected = nlohmann::json::object();
    for (int i = 0; i < 50; ++i) {
        nlohmann::json patch = {{"seq", i}, {"k" + std::to_string(i % 5), i}};
        if (i % 10 == 9) {
            patch["k" + std::to_string((i + 2) % 5)] = nullptr;
        }
        expected.merge_patch(patch);
        REQUIRE(bridge.uplink->handle("t/a/s1/state", patch.dump()) == UplinkOutcome::accepted);
    }
    REQUIRE(eventually([&] { return bridge.spool_->backlog("a-s1") == 50; }));
    CHECK(bridge.hub.locked([&] { return bridge.hub.patches.size(); }) == 0);

    bridge.sender->session_state("a-s1", session::SessionState::Connected);
    REQUIRE(eventually([&] { return bridge.spool_->backlog("a-s1") == 0; }));
    const auto patches = bridge.hub.locked([&] { return bridge.hub.patches; });
    REQUIRE(patches.size() == 1);
    nlohmann::json twin = nlohmann::json::object();
    twin.merge_patch(patches[0].second);
    CHECK(twin == expected);
    CHECK(bridge.counters.reported_sent == 50);
    CHECK(bridge.counters.reported_merged == 49);
}

TEST_CASE("reported patches behind an unanswered PATCH wait for it, then go up merged") {
    Bridge bridge;
    bridge.hub.twin_status = 0;  // the first PATCH gets no answer (session lost meanwhile)
    REQUIRE(bridge.uplink->handle("t/a/s1/state", R"({"a":1})") == UplinkOutcome::accepted);
    REQUIRE(bridge.hub.wait([&] { return bridge.hub.patches.size() == 1; }));
    REQUIRE(bridge.uplink->handle("t/a/s1/state", R"({"b":2})") == UplinkOutcome::accepted);
    REQUIRE(bridge.uplink->handle("t/a/s1/state", R"({"a":null})") == UplinkOutcome::accepted);
    REQUIRE(eventually([&] { return bridge.spool_->backlog("a-s1") == 3; }));
    bridge.hub.twin_status = 204;
    bridge.sender->session_state("a-s1", session::SessionState::Connected);
    REQUIRE(eventually([&] { return bridge.spool_->backlog("a-s1") == 0; }));
    const auto patches = bridge.hub.locked([&] { return bridge.hub.patches; });
    REQUIRE(patches.size() == 2);
    CHECK(patches[1].second == nlohmann::json{{"a", nullptr}, {"b", 2}});
    CHECK(bridge.counters.reported_merged == 2);
}

}  // namespace hubgate::test

namespace hubgate::test {

// What a restart does after a plugin crashed hubgate twice on a kept C2D message and on the kept
// desired document: both come back (the journal, publish_kept_desired_states) and neither may go
// to the plugins again.
TEST_CASE(
    "downlinks that crashed a plugin twice are dead-lettered, not rendered, after a restart") {
    Bridge bridge;
    bridge.uplink->handle("t/a/s1/telemetry", "x");  // the device becomes known
    const nlohmann::json document = {{"mode", "eco"}, {"$version", 3}};
    bridge.downlink->on_desired({"a-s1", document, 3, true});
    REQUIRE(bridge.local.snapshot().size() == 1);
    const std::string kept_document = bridge.local.snapshot()[0].payload;  // as rendered

    const auto state = bridge.folder.path / "guard";
    std::filesystem::create_directories(state);
    {
        core::PluginCrashes crashes(state / "plugin-crashes.json");
        for (int i = 0; i < core::kCrashesToDeadLetter; ++i) {
            crashes.count_crash(core::hooked_digest({"desired", "a-s1", "", kept_document}),
                                "poison", "transform_downlink");
            crashes.count_crash(core::hooked_digest({"c2d", "a-s1", "", "crash-me"}), "poison",
                                "transform_downlink");
        }
    }
    core::BridgeCounters counters;
    core::PoisonGuard guard(state, counters);
    std::string error;
    REQUIRE(guard.open(error));
    FakeLocal after_restart;
    ReleaseRecorder keeper;
    core::DownlinkRouter restarted(core::DownlinkDeps{*bridge.rules, bridge.devices, after_restart,
                                                      bridge.methods, counters, &bridge.desired,
                                                      nullptr, &keeper, &guard});
    restarted.publish_kept_desired_states();
    restarted.on_c2d({"a-s1", "crash-me", {}, 11});
    restarted.on_c2d({"a-s1", "fine", {}, 12});
    // Only the innocent message is published; the poison C2D message's journal entry is let go.
    const auto published = after_restart.snapshot();
    REQUIRE(published.size() == 1);
    CHECK(published[0].payload == "fine");
    CHECK(keeper.released == std::vector<std::uint64_t>{11});
    CHECK(counters.downlinks_dead_lettered == 2);
    CHECK(counters.downlink_failed == 0);
    std::size_t kept = 0;
    for (const auto& entry : std::filesystem::directory_iterator(state / "dead-letter")) {
        (void)entry;
        ++kept;
    }
    CHECK(kept == 2);
}

}  // namespace hubgate::test
