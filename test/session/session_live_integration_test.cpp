// Device sessions against hubsim over real TLS: auth modes, transports, proxy, renewal, kicks,
// take-overs, refusals, twin throttling and late method answers.
#include <doctest/doctest.h>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>

#include "connect_proxy.hpp"
#include "harness/process.hpp"
#include "harness/scratch_dir.hpp"
#include "hubgate/iothub/encoding.hpp"
#include "hubsim_rig.hpp"

using namespace hubgate::session;
using namespace hubgate::session::test;
using hubgate::test::HubsimFixture;
using nlohmann::json;

namespace {

// The openssl CLI (installed by scripts/install-deps.sh); Process needs a full path.
const std::string kOpenssl = "/usr/bin/openssl";

DeviceNeeds downlink_needs() {
    DeviceNeeds needs;
    needs.c2d = true;
    needs.methods = true;
    needs.desired = true;
    return needs;
}

// Publishes one telemetry message and waits for its outcome.
PublishStatus publish_and_wait(LiveRig& rig, const std::string& device, Properties properties,
                               const std::string& payload) {
    std::optional<PublishStatus> status;
    rig.sessions.publish_telemetry(device, std::move(properties), payload,
                                   [&](uint64_t, PublishStatus s) {
                                       std::lock_guard lock(rig.listener.mutex);
                                       status = s;
                                       rig.listener.changed.notify_all();
                                   });
    rig.listener.wait([&] { return status.has_value(); });
    return status.value_or(PublishStatus::NotConnected);
}

// Answers every method call at once with {"echo": payload}.
void answer_methods(LiveRig& rig) {
    rig.listener.method_hook = [&rig](const MethodCall& call) {
        rig.sessions.reply_method(call.device_id, call.rid, 200,
                                  json{{"echo", json::parse(call.payload, nullptr, false)}}.dump());
    };
}

void check_method_round_trip(HubsimFixture& hub, const std::string& device) {
    const auto answer = hub.invoke_method(device, "ping", json{{"n", 1}}, 10);
    REQUIRE(answer.status == 200);
    CHECK(answer.body["status"] == 200);
    CHECK(answer.body["payload"]["echo"]["n"] == 1);
}

void check_telemetry_arrives(HubsimFixture& hub, LiveRig& rig, const std::string& device) {
    CHECK(publish_and_wait(rig, device, {{"$.ct", "application/json"}, {"site", "north 1"}},
                           R"({"t":21.5})") == PublishStatus::Acked);
    const auto got = hub.wait_for_telemetry(device, 1);
    REQUIRE(got.size() == 1);
    CHECK(got[0]["payload"] == R"({"t":21.5})");
    CHECK(got[0]["properties"]["site"] == "north 1");
}

}  // namespace

TEST_CASE("policy key (skn): connect - telemetry acked and recorded with its properties") {
    HubsimFixture hub(hub_with_devices(1));
    LiveRig rig(live_options(hub));
    rig.start();
    rig.sessions.ensure_session("dev0", {});
    REQUIRE(rig.listener.wait_state("dev0", SessionState::Connected));
    check_telemetry_arrives(hub, rig, "dev0");
    const auto snap = rig.snapshot("dev0");
    CHECK(snap.counters.telemetry_acked == 1);
    REQUIRE(snap.token_expiry);
    CHECK(*snap.token_expiry > std::chrono::system_clock::now() + 50min);
}

TEST_CASE("per-device symmetric keys - with a model id in the username") {
    HubsimFixture hub(hub_with_devices(2));
    auto options = live_options(hub);
    options.auth.mode = AuthMode::DeviceKey;
    options.auth.device_key = [&hub](const std::string& id) -> std::optional<std::string> {
        return hub.device(id).primary_key;
    };
    options.model_id = "dtmi:com:example:Thermostat;1";
    LiveRig rig(options);
    rig.start();
    rig.sessions.ensure_session("dev1", {});
    REQUIRE(rig.listener.wait_state("dev1", SessionState::Connected));
    check_telemetry_arrives(hub, rig, "dev1");
}

TEST_CASE("MQTT over WebSocket (wss://.../$iothub/websocket) with methods and C2D") {
    HubsimFixture hub(hub_with_devices(1));
    auto options = live_options(hub);
    options.transport = Transport::MqttWebSocket;
    options.connect_host = "127.0.0.1:" + std::to_string(hub.wss_port());
    LiveRig rig(options);
    answer_methods(rig);
    rig.start();
    rig.sessions.ensure_session("dev0", downlink_needs());
    REQUIRE(rig.listener.wait_state("dev0", SessionState::Connected));
    REQUIRE(hub.wait_for_connected("dev0"));
    check_telemetry_arrives(hub, rig, "dev0");
    check_method_round_trip(hub, "dev0");
}

TEST_CASE("through an HTTP CONNECT proxy") {
    HubsimFixture hub(hub_with_devices(1));
    ConnectProxy proxy;
    auto options = live_options(hub);
    options.http_proxy = "http://127.0.0.1:" + std::to_string(proxy.port());
    LiveRig rig(options);
    rig.start();
    rig.sessions.ensure_session("dev0", {});
    REQUIRE(rig.listener.wait_state("dev0", SessionState::Connected));
    check_telemetry_arrives(hub, rig, "dev0");
    CHECK(proxy.tunnels() == 1);
    REQUIRE(proxy.targets().size() == 1);
    CHECK(proxy.targets()[0] == "127.0.0.1:" + std::to_string(hub.mqtts_port()));
}

TEST_CASE("a server certificate from another CA is refused by TLS verification") {
    HubsimFixture hub(hub_with_devices(1));
    hubgate::test::ScratchDir dir;
    const auto other_ca = dir.path() / "other-ca.pem";
    const auto made = hubgate::test::run(
        {kOpenssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", (dir.path() / "other-ca.key").string(), "-out", other_ca.string(),
         "-subj", "/CN=not the hubsim CA", "-days", "1"});
    REQUIRE(made.status == 0);
    auto options = live_options(hub);
    options.ca_file = other_ca.string();
    LiveRig rig(options);
    rig.start();
    rig.sessions.ensure_session("dev0", {});
    REQUIRE(rig.listener.wait_state("dev0", SessionState::BackingOff));
    CHECK(rig.snapshot("dev0").counters.connects == 0);
    CHECK(hub_events(hub, "dev0", "connect").empty());
}

TEST_CASE("token renewal with a short TTL: the session survives and its subscriptions work") {
    HubsimFixture hub(hub_with_devices(1));
    auto options = live_options(hub);
    options.auth.token_ttl = std::chrono::seconds(5);
    LiveRig rig(options);
    answer_methods(rig);
    rig.start();
    rig.sessions.ensure_session("dev0", downlink_needs());
    REQUIRE(rig.listener.wait_state("dev0", SessionState::Connected));
    REQUIRE(rig.wait_snapshot(
        "dev0", [](const SessionSnapshot& s) { return s.counters.renewals >= 2; }, 30s));
    REQUIRE(rig.listener.wait_state("dev0", SessionState::Connected));
    check_method_round_trip(hub, "dev0");
    hubgate::test::HubsimC2d c2d;
    c2d.payload = "after renewal";
    c2d.properties = {{"color", "dark red"}};
    REQUIRE(hub.send_c2d("dev0", c2d).ok());
    REQUIRE(rig.listener.wait([&] { return !rig.listener.c2d.empty(); }));
    {
        std::lock_guard lock(rig.listener.mutex);
        CHECK(rig.listener.c2d[0].payload == "after renewal");
        bool has_color = false;
        for (const auto& [name, value] : rig.listener.c2d[0].properties) {
            has_color = has_color || (name == "color" && value == "dark red");
        }
        CHECK(has_color);
    }
    CHECK(hub_events(hub, "dev0", "expired").empty());  // renewed before the hub closed it
    CHECK(hub_events(hub, "dev0", "connect").size() >= 3);
}

TEST_CASE("kicked by the hub - the session comes back and its methods work again") {
    HubsimFixture hub(hub_with_devices(1));
    LiveRig rig(live_options(hub));
    answer_methods(rig);
    rig.start();
    rig.sessions.ensure_session("dev0", downlink_needs());
    REQUIRE(rig.listener.wait_state("dev0", SessionState::Connected));
    REQUIRE(hub.wait_for_connected("dev0"));
    REQUIRE(hub.kick("dev0").ok());
    REQUIRE(rig.listener.wait(
        [&] { return rig.listener.entered["dev0"][SessionState::Connected] >= 2; }));
    REQUIRE(hub.wait_for_connected("dev0"));
    check_method_round_trip(hub, "dev0");
    CHECK(rig.snapshot("dev0").counters.connection_losses == 1);
}

TEST_CASE("taken over by another gateway: the old session lets go - no reconnect fight") {
    HubsimFixture hub(hub_with_devices(1));
    LiveRig old_owner(live_options(hub));
    old_owner.start();
    old_owner.sessions.ensure_session("dev0", downlink_needs());
    REQUIRE(old_owner.listener.wait_state("dev0", SessionState::Connected));

    LiveRig new_owner(live_options(hub));
    answer_methods(new_owner);
    new_owner.start();
    new_owner.sessions.ensure_session("dev0", downlink_needs());
    REQUIRE(old_owner.listener.wait_state("dev0", SessionState::Replaced, 30s));
    REQUIRE(new_owner.listener.wait_state("dev0", SessionState::Connected));
    REQUIRE(hub.wait_for_connected("dev0"));
    const auto connects = hub_events(hub, "dev0", "connect").size();
    CHECK(connects <= 6);                  // old, new, at most two retries each
    check_method_round_trip(hub, "dev0");  // the new owner holds the device
    CHECK(hub_events(hub, "dev0", "connect").size() == connects);
    CHECK(old_owner.snapshot("dev0").state == SessionState::Replaced);
}

TEST_CASE("bad credentials: refused - reason kept - retried only after the long back-off") {
    HubsimFixture hub(hub_with_devices(1));
    auto options = live_options(hub);
    options.auth.policy_key = HubsimFixture::random_key();
    LiveRig rig(options);
    rig.start();
    rig.sessions.ensure_session("dev0", {});
    REQUIRE(rig.listener.wait_state("dev0", SessionState::Refused));
    CHECK(rig.snapshot("dev0").reason.find("CONNACK 5") != std::string::npos);
    REQUIRE(rig.wait_snapshot(
        "dev0", [](const SessionSnapshot& s) { return s.counters.refusals >= 3; }, 30s));
    const auto refused = hub_events(hub, "dev0", "refused");
    REQUIRE(refused.size() >= 3);
    // Spacing from the hub's own records: at least the refused back-off floor (1.5 s) each.
    for (size_t i = 1; i < refused.size(); ++i) {
        CHECK(refused[i]["time_ms"].get<int64_t>() - refused[i - 1]["time_ms"].get<int64_t>() >=
              1400);
    }
}

TEST_CASE("the hub refusing connects: attempts back off - and the session connects once allowed") {
    HubsimFixture hub(hub_with_devices(1));
    REQUIRE(hub.set_faults({{"refuseConnects", true}}).ok());
    LiveRig rig(live_options(hub));
    rig.start();
    rig.sessions.ensure_session("dev0", {});
    REQUIRE(rig.wait_snapshot(
        "dev0", [](const SessionSnapshot& s) { return s.counters.refusals >= 3; }, 30s));
    const auto refused = hub_events(hub, "dev0", "refused");
    const auto span =
        refused.back()["time_ms"].get<int64_t>() - refused.front()["time_ms"].get<int64_t>();
    // No hot loop: each attempt waited at least the back-off floor.
    CHECK(span >= static_cast<int64_t>(refused.size() - 1) * 1400);
    REQUIRE(hub.set_faults({{"refuseConnects", false}}).ok());
    REQUIRE(rig.listener.wait_state("dev0", SessionState::Connected, 30s));
}

TEST_CASE("a twin PATCH answered 429 is retried after back-off and lands") {
    HubsimFixture hub(hub_with_devices(1));
    LiveRig rig(live_options(hub));
    rig.start();
    DeviceNeeds needs;
    needs.twin = true;
    rig.sessions.ensure_session("dev0", needs);
    REQUIRE(rig.listener.wait_state("dev0", SessionState::Connected));
    REQUIRE(hub.set_faults({{"twinThrottleSeconds", 2}}).ok());
    std::optional<TwinResult> result;
    rig.sessions.patch_reported("dev0", json{{"firmware", "1.2.3"}}, [&](const TwinResult& r) {
        std::lock_guard lock(rig.listener.mutex);
        result = r;
        rig.listener.changed.notify_all();
    });
    REQUIRE(rig.listener.wait([&] { return result.has_value(); }, 30s));
    CHECK(result->status == 204);
    CHECK(result->version.has_value());
    const auto snap = rig.snapshot("dev0");
    CHECK(snap.counters.twin_throttled >= 1);
    CHECK(snap.counters.twin_retries >= 1);
    const auto twin = hub.get_twin("dev0");
    CHECK(twin.body["properties"]["reported"]["firmware"] == "1.2.3");
}

TEST_CASE("the twin reconnection flow hands down desired state changed while offline") {
    HubsimFixture hub(hub_with_devices(1));
    LiveRig rig(live_options(hub));
    rig.start();
    rig.sessions.ensure_session("dev0", downlink_needs());
    REQUIRE(rig.listener.wait([&] { return rig.listener.desired.size() == 1; }));
    // Offline: kicked, and kept out while the desired state changes.
    REQUIRE(hub.set_faults({{"refuseConnects", true}}).ok());
    REQUIRE(hub.kick("dev0").ok());
    REQUIRE(hub.wait_for_connected("dev0", false));
    REQUIRE(hub.patch_twin("dev0", json{{"properties", {{"desired", {{"rate", 9}}}}}}).ok());
    REQUIRE(hub.set_faults({{"refuseConnects", false}}).ok());
    REQUIRE(rig.listener.wait([&] { return rig.listener.desired.size() == 2; }, 30s));
    std::lock_guard lock(rig.listener.mutex);
    CHECK(rig.listener.desired[1].complete);
    CHECK(rig.listener.desired[1].desired["rate"] == 9);
    CHECK(rig.listener.desired[1].version > rig.listener.desired[0].version);
}

TEST_CASE(
    "a method answered later from the manager's thread (the daemon's 504) reaches the caller") {
    HubsimFixture hub(hub_with_devices(1));
    LiveRig rig(live_options(hub));
    // As the daemon's pending method calls do when the device is too slow: a timed task on the
    // manager's thread answers 504.
    rig.listener.method_hook = [&rig](const MethodCall& call) {
        rig.sessions.execute_at(rig.clock.now() + Millis(1500), [&rig, call] {
            rig.sessions.reply_method(
                call.device_id, call.rid, 504,
                json{{"errorCode", 504}, {"message", "the device did not answer in time"}}.dump());
        });
    };
    rig.start();
    rig.sessions.ensure_session("dev0", downlink_needs());
    REQUIRE(rig.listener.wait_state("dev0", SessionState::Connected));
    REQUIRE(hub.wait_for_connected("dev0"));
    const auto answer = hub.invoke_method("dev0", "slow", nullptr, 10);
    REQUIRE(answer.status ==
            200);  // the device side answered (with 504), the call did not time out
    CHECK(answer.body["status"] == 504);
    CHECK(answer.body["payload"].contains("message"));
    CHECK(rig.snapshot("dev0").counters.methods_answered == 1);
}

TEST_CASE("a method for a device with no method mapping is answered 501") {
    HubsimFixture hub(hub_with_devices(1));
    LiveRig rig(live_options(hub));
    rig.start();
    DeviceNeeds needs;
    needs.c2d = true;
    rig.sessions.ensure_session("dev0", downlink_needs());
    REQUIRE(rig.listener.wait_state("dev0", SessionState::Connected));
    rig.sessions.close_session("dev0");  // the methods subscription survives (CleanSession 0)
    REQUIRE(hub.wait_for_connected("dev0", false));
    rig.sessions.ensure_session("dev0", needs);
    REQUIRE(rig.listener.wait(
        [&] { return rig.listener.entered["dev0"][SessionState::Connected] >= 2; }));
    REQUIRE(hub.wait_for_connected("dev0"));
    const auto answer = hub.invoke_method("dev0", "reboot", nullptr, 10);
    REQUIRE(answer.status == 200);
    CHECK(answer.body["status"] == 501);
}

TEST_CASE("a session's log output never contains its token signature") {
    std::ostringstream log;
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log);
    auto capture = std::make_shared<spdlog::logger>("capture", sink);
    capture->set_level(spdlog::level::trace);
    auto previous = spdlog::default_logger();
    spdlog::set_default_logger(capture);
    {
        HubsimFixture hub(hub_with_devices(1));
        auto options = live_options(hub);
        options.auth.token_ttl = std::chrono::seconds(3);
        LiveRig rig(options);
        rig.start();
        rig.sessions.ensure_session("dev0", downlink_needs());
        REQUIRE(rig.wait_snapshot(
            "dev0", [](const SessionSnapshot& s) { return s.counters.renewals >= 1; }, 20s));
        REQUIRE(hub.kick("dev0").ok());
        REQUIRE(rig.listener.wait(
            [&] { return rig.listener.entered["dev0"][SessionState::Connected] >= 3; }));
    }
    spdlog::set_default_logger(previous);
    const auto text = log.str();
    CHECK(text.find("connecting as") != std::string::npos);
    CHECK(text.find("sig=") == std::string::npos);
    CHECK(text.find("SharedAccessSignature sr=") != std::string::npos);  // the redacted form
    CHECK(text.find(" se=") != std::string::npos);
}
