// The session manager and device sessions driven by a fake upstream and a fake clock.
#include <doctest/doctest.h>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>

#include "fakes.hpp"
#include "gateway/session/session_manager.hpp"
#include "hubgate/iothub/sas_token.hpp"

using namespace hubgate::session;
using namespace hubgate::transport;
using namespace hubgate::session::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

struct Rig {
    explicit Rig(ManagerOptions manager = defaults(), SessionOptions session = session_defaults(),
                 C2dKeeper* keeper = nullptr)
        : manager_options(manager),
          session_options(std::move(session)),
          sessions(session_options, manager_options, upstream, listener, clock, keeper,
                   [this] { return draw; }) {}
    explicit Rig(C2dKeeper& keeper) : Rig(defaults(), session_defaults(), &keeper) {}

    static ManagerOptions defaults() {
        ManagerOptions options;
        options.connect_rate = 0;  // unlimited unless a test is about pacing
        options.twin_read_rate = 0;
        options.twin_update_rate = 0;
        options.idle_timeout = 1h;
        return options;
    }
    static SessionOptions session_defaults() {
        SessionOptions options;
        options.hub_hostname = "hub.example";
        options.ca_file = "/ca.pem";
        options.auth.mode = AuthMode::Policy;
        options.auth.policy_name = "device";
        options.auth.policy_key = hubgate::iothub::base64_encode("a secret policy key");
        options.auth.token_ttl = 100s;
        options.reconnect_backoff = {1000ms, 60000ms, 2.0};
        options.refused_backoff = {300000ms, 1800000ms, 2.0};
        options.twin_backoff = {500ms, 30000ms, 2.0};
        options.twin_timeout = 10s;
        return options;
    }

    FakeConnectionRecord& conn(const std::string& id) { return upstream.device(id); }
    void pump() { sessions.run_pending(); }
    void advance(Millis by) {
        clock.advance(by);
        pump();
    }
    SessionSnapshot state_of(const std::string& id) {
        for (auto& snap : sessions.snapshot()) {
            if (snap.device_id == id) {
                return snap;
            }
        }
        FAIL("no session for " << id);
        return {};
    }
    void connack(const std::string& id, bool ok, int code = 0) {
        conn(id).events->on_connect_result(ConnectResult{ok, ok ? 0 : code, ok ? "" : "refused"});
        pump();
    }
    void suback(const std::string& id, bool ok = true) {
        conn(id).events->on_subscribe_result(conn(id).subscribe_tags.back(), ok);
        pump();
    }
    void deliver(const std::string& id, const std::string& topic, const std::string& payload) {
        conn(id).events->on_message(topic, payload);
        pump();
    }
    void lose(const std::string& id, LossOrigin origin = LossOrigin::Hub) {
        conn(id).events->on_connection_lost("closed by peer", origin);
        pump();
    }
    // Lost and connected again `times` times, `gap` apart (the reconnect after each back-off).
    void lose_and_return(const std::string& id, int times, Millis gap = 5s) {
        for (int i = 0; i < times; ++i) {
            lose(id);
            advance(gap);
            connack(id, true);
            if (!conn(id).subscribe_tags.empty()) {
                suback(id);
            }
        }
    }
    // Connects `id` with the given needs and acknowledges its subscriptions.
    void open(const std::string& id, DeviceNeeds needs) {
        sessions.ensure_session(id, needs);
        pump();
        connack(id, true);
        if (!conn(id).subscribe_tags.empty()) {
            suback(id);
        }
    }
    const FakePublish& last_publish(const std::string& id) { return conn(id).publishes.back(); }

    ManagerOptions manager_options;
    SessionOptions session_options;
    FakeClock clock;
    FakeUpstreamFactory upstream;
    RecordingListener listener;
    double draw = 0.0;
    SessionManager sessions;
};

DeviceNeeds downlink_needs() {
    DeviceNeeds needs;
    needs.c2d = true;
    needs.methods = true;
    needs.desired = true;
    return needs;
}

}  // namespace

TEST_CASE("a session connects with a policy token for the hub name - CleanSession kept by Paho") {
    Rig rig;
    rig.sessions.ensure_session("dev1", {});
    rig.pump();
    auto& conn = rig.conn("dev1");
    CHECK(conn.client_id == "dev1");
    CHECK(conn.server_uri == "ssl://hub.example:8883");
    REQUIRE(conn.connects.size() == 1);
    CHECK(conn.connects[0].username == "hub.example/dev1/?api-version=2021-04-12");
    CHECK(conn.connects[0].keep_alive == 240s);
    CHECK(rig.state_of("dev1").state == SessionState::Connecting);
    rig.connack("dev1", true);
    CHECK(rig.state_of("dev1").state == SessionState::Connected);
    CHECK(conn.subscriptions.empty());  // telemetry only: nothing to subscribe to
    CHECK(rig.state_of("dev1").token_expiry == rig.clock.wall_now() + 100s);
}

TEST_CASE("subscriptions follow the device's needs - at most one each") {
    Rig rig;
    rig.open("all", downlink_needs());
    REQUIRE(rig.conn("all").subscriptions.size() == 1);
    CHECK(rig.conn("all").subscriptions[0] ==
          std::vector<std::string>{"devices/all/messages/devicebound/#", "$iothub/methods/POST/#",
                                   "$iothub/twin/res/#",
                                   "$iothub/twin/PATCH/properties/desired/#"});
    DeviceNeeds c2d_only;
    c2d_only.c2d = true;
    rig.open("c2d", c2d_only);
    CHECK(rig.conn("c2d").subscriptions[0] ==
          std::vector<std::string>{"devices/c2d/messages/devicebound/#"});
}

TEST_CASE("new connections are paced by the global connect rate") {
    auto options = Rig::defaults();
    options.connect_rate = 10;
    options.connect_burst = 2;
    Rig rig(options);
    for (int i = 0; i < 10; ++i) {
        rig.sessions.ensure_session("d" + std::to_string(i), {});
    }
    rig.pump();
    CHECK(rig.upstream.total_connects() == 2);  // the burst
    rig.advance(99ms);
    CHECK(rig.upstream.total_connects() == 2);
    rig.advance(1ms);
    CHECK(rig.upstream.total_connects() == 3);
    for (int i = 0; i < 50; ++i) {
        rig.advance(10ms);  // the manager's loop wakes when the bucket has a token
    }
    CHECK(rig.upstream.total_connects() == 8);
    rig.advance(100ms);
    rig.advance(100ms);
    CHECK(rig.upstream.total_connects() == 10);
    rig.advance(1000ms);
    CHECK(rig.upstream.total_connects() == 10);
    CHECK(rig.state_of("d9").state == SessionState::Connecting);
}

TEST_CASE("at most max_connecting connects are under way at once - a finished one frees a slot") {
    auto options = Rig::defaults();  // connect_rate unlimited
    options.max_connecting = 100;
    Rig rig(options);
    for (int i = 0; i < 250; ++i) {
        rig.sessions.ensure_session("d" + std::to_string(i), {});
    }
    rig.pump();
    CHECK(rig.upstream.total_connects() == 100);
    rig.advance(1000ms);
    CHECK(rig.upstream.total_connects() == 100);  // still all under way: nobody else starts
    for (int i = 0; i < 30; ++i) {
        rig.connack("d" + std::to_string(i), true);
    }
    CHECK(rig.upstream.total_connects() == 130);
    for (int i = 30; i < 40; ++i) {
        rig.conn("d" + std::to_string(i)).events->on_connect_result({false, -1, "timeout"});
    }
    rig.pump();
    CHECK(rig.upstream.total_connects() == 140);  // a failed connect frees its slot too
    CHECK(rig.state_of("d249").state == SessionState::WaitingToConnect);
}

TEST_CASE("CONNACK 3 slows the connect rate down for everyone") {
    auto options = Rig::defaults();
    options.connect_rate = 10;
    options.connect_burst = 1;
    Rig rig(options);
    rig.sessions.ensure_session("a", {});
    rig.pump();
    rig.connack("a", false, 3);
    CHECK(rig.state_of("a").state == SessionState::BackingOff);
    CHECK(rig.state_of("a").counters.connects_throttled == 1);
    for (int i = 0; i < 4; ++i) {
        rig.sessions.ensure_session("d" + std::to_string(i), {});
    }
    rig.advance(100ms);
    const auto before = rig.upstream.total_connects();
    for (int i = 0; i < 100; ++i) {
        rig.advance(10ms);
    }
    // At 10/s this second would allow 10 more; slowed to 5/s it allows about 5.
    CHECK(rig.upstream.total_connects() - before >= 4);
    CHECK(rig.upstream.total_connects() - before <= 6);
}

TEST_CASE("a failed connect backs off with growing waits - then succeeds and resets") {
    Rig rig;
    rig.draw = 0.999;  // the top of each jitter window
    rig.sessions.ensure_session("dev1", {});
    rig.pump();
    rig.connack("dev1", false, -1);
    auto snap = rig.state_of("dev1");
    CHECK(snap.state == SessionState::BackingOff);
    REQUIRE(snap.retry_at);
    CHECK(*snap.retry_at - rig.clock.wall_now() == 1000ms);
    rig.advance(999ms);
    CHECK(rig.conn("dev1").connects.size() == 1);  // no hot loop
    rig.advance(1ms);
    CHECK(rig.conn("dev1").connects.size() == 2);
    rig.connack("dev1", false, -1);
    snap = rig.state_of("dev1");
    CHECK(*snap.retry_at - rig.clock.wall_now() >= 1990ms);  // the window doubled
    rig.advance(2000ms);
    rig.connack("dev1", true);
    CHECK(rig.state_of("dev1").state == SessionState::Connected);
    CHECK(rig.state_of("dev1").counters.connect_failures == 2);
    rig.lose("dev1");
    CHECK(*rig.state_of("dev1").retry_at - rig.clock.wall_now() == 1000ms);  // reset by success
}

TEST_CASE("bad credentials are refused - retried only after a long wait - and logged once") {
    std::ostringstream log;
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log);
    auto previous = spdlog::default_logger();
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", sink));

    Rig rig;
    rig.sessions.ensure_session("dev1", {});
    rig.pump();
    rig.connack("dev1", false, 5);
    auto snap = rig.state_of("dev1");
    CHECK(snap.state == SessionState::Refused);
    CHECK(snap.reason.find("not authorized") != std::string::npos);
    rig.advance(299s);
    CHECK(rig.conn("dev1").connects.size() == 1);
    rig.advance(1s);
    CHECK(rig.conn("dev1").connects.size() == 2);
    rig.connack("dev1", false, 5);
    CHECK(rig.state_of("dev1").counters.refusals == 2);

    spdlog::set_default_logger(previous);
    const auto text = log.str();
    const auto first = text.find("not authorized");
    REQUIRE(first != std::string::npos);
    CHECK(text.find("not authorized", first + 1) == std::string::npos);
}

TEST_CASE("a device without credentials is refused without connecting") {
    auto session = Rig::session_defaults();
    session.auth.mode = AuthMode::DeviceKey;
    session.auth.device_key = [](const std::string&) { return std::optional<std::string>(); };
    Rig rig(Rig::defaults(), session);
    rig.sessions.ensure_session("dev1", {});
    rig.pump();
    CHECK(rig.conn("dev1").connects.empty());
    CHECK(rig.state_of("dev1").state == SessionState::Refused);
}

TEST_CASE("the hub accepting and refusing a device is reported through the auth callbacks") {
    std::vector<std::string> events;
    auto session = Rig::session_defaults();
    session.auth.on_accepted = [&](const std::string& id) { events.push_back("accepted " + id); };
    session.auth.on_refused = [&](const std::string& id) { events.push_back("refused " + id); };
    Rig rig(Rig::defaults(), session);
    rig.open("dev1", {});
    rig.lose("dev1");
    rig.advance(1s);
    rig.connack("dev1", false, 5);
    CHECK(events == std::vector<std::string>{"accepted dev1", "refused dev1"});
}

TEST_CASE("a connected session restarted for new credentials connects again with them") {
    std::string key = hubgate::iothub::base64_encode("the first device key");
    auto session = Rig::session_defaults();
    session.auth.mode = AuthMode::DeviceKey;
    session.auth.device_key = [&](const std::string&) { return std::optional<std::string>(key); };
    Rig rig(Rig::defaults(), session);
    rig.open("dev1", downlink_needs());
    const auto first_password = rig.conn("dev1").connects[0].password;

    key = hubgate::iothub::base64_encode("the key of a new assignment");
    rig.sessions.restart_session("dev1");
    rig.pump();
    CHECK(rig.conn("dev1").disconnects == 1);
    rig.conn("dev1").events->on_disconnected();
    rig.pump();
    REQUIRE(rig.conn("dev1").connects.size() == 2);
    CHECK(rig.conn("dev1").connects[1].password != first_password);
    rig.connack("dev1", true);
    rig.suback("dev1");
    CHECK(rig.state_of("dev1").state == SessionState::Connected);
}

TEST_CASE("a session whose device moves to another hub ends its connection and dials the new hub") {
    std::optional<DeviceHub> hub;  // unset: [hub]
    auto session = Rig::session_defaults();
    session.device_hub = [&](const std::string&) { return hub; };
    Rig rig(Rig::defaults(), session);
    rig.open("dev1", downlink_needs());
    auto old_connection = rig.upstream.by_device.at("dev1");
    CHECK(old_connection->server_uri == "ssl://hub.example:8883");

    hub = DeviceHub{"plant-b.example", "127.0.0.1:4242"};
    rig.sessions.restart_session("dev1");
    rig.pump();
    CHECK(old_connection->disconnects == 1);
    old_connection->events->on_disconnected();
    rig.pump();
    CHECK(old_connection->destroyed);
    auto& moved = rig.conn("dev1");
    CHECK(moved.server_uri == "ssl://127.0.0.1:4242");
    REQUIRE(moved.connects.size() == 1);
    CHECK(moved.connects[0].username == "plant-b.example/dev1/?api-version=2021-04-12");
    CHECK(rig.state_of("dev1").hub == "plant-b.example");
    rig.connack("dev1", true);
    rig.suback("dev1");
    CHECK(rig.state_of("dev1").state == SessionState::Connected);
    // The same hub again: the connection stays.
    rig.sessions.restart_session("dev1");
    rig.pump();
    rig.conn("dev1").events->on_disconnected();
    rig.pump();
    CHECK(rig.conn("dev1").connects.size() == 2);
    CHECK(rig.upstream.records.size() == 2);
}

TEST_CASE("the token is renewed at about 80% of its life by reconnecting with a fresh one") {
    Rig rig;
    rig.open("dev1", downlink_needs());
    const auto first_password = rig.conn("dev1").connects[0].password;
    rig.advance(79s);
    CHECK(rig.conn("dev1").disconnects == 0);
    rig.advance(1s);  // draw 0: renewal at exactly 80%
    CHECK(rig.conn("dev1").disconnects == 1);
    rig.conn("dev1").events->on_disconnected();
    rig.pump();
    REQUIRE(rig.conn("dev1").connects.size() == 2);
    CHECK(rig.conn("dev1").connects[1].password != first_password);
    rig.connack("dev1", true);
    auto snap = rig.state_of("dev1");
    CHECK(snap.state == SessionState::Connected);
    CHECK(snap.counters.renewals == 1);
    CHECK(snap.token_expiry == rig.clock.wall_now() + 100s);
    CHECK(rig.conn("dev1").subscriptions.size() == 2);  // resubscribed: harmless
}

TEST_CASE("renewal is counted from signing the token - not from a slow CONNACK") {
    Rig rig;
    rig.sessions.ensure_session("dev1", {});
    rig.pump();
    rig.advance(30s);  // the hub took 30 s to answer
    rig.connack("dev1", true);
    rig.advance(49s);
    CHECK(rig.conn("dev1").disconnects == 0);
    rig.advance(1s);  // 80 s after signing
    CHECK(rig.conn("dev1").disconnects == 1);
}

TEST_CASE("a close at token expiry is not taken for another owner") {
    auto session = Rig::session_defaults();
    session.auth.token_ttl = 10s;
    session.renewal.fraction = 0.95;
    session.renewal.jitter = 0;
    session.replaced_window = 200s;
    Rig rig(Rig::defaults(), session);
    rig.open("dev1", {});
    rig.advance(1s);
    rig.lose("dev1");
    rig.advance(1s);
    rig.connack("dev1", true);  // token signed at 2 s: expires at 12 s, renewal due at 11.5 s
    rig.advance(9200ms);
    CHECK(rig.conn("dev1").disconnects == 0);
    rig.lose("dev1");  // at 11.2 s: the hub closed the expiring session
    CHECK(rig.state_of("dev1").state == SessionState::BackingOff);
    CHECK(rig.state_of("dev1").reason.find("expiry") != std::string::npos);
}

TEST_CASE("renewal jitter spreads sessions apart") {
    Rig rig;
    rig.draw = 0.999;
    rig.open("late", {});
    rig.advance(70s);
    CHECK(rig.conn("late").disconnects == 0);
    rig.advance(1s);
    CHECK(rig.conn("late").disconnects == 1);  // at 70.01% of 100 s
}

TEST_CASE("a session the hub closes three times within a minute was replaced: it lets go") {
    Rig rig;
    rig.open("dev1", downlink_needs());
    rig.lose("dev1");
    CHECK(rig.state_of("dev1").state == SessionState::BackingOff);
    rig.advance(1s);
    CHECK(rig.conn("dev1").connects.size() == 2);
    rig.connack("dev1", true);
    rig.suback("dev1");
    CHECK(rig.state_of("dev1").state == SessionState::Connected);
    rig.advance(5s);
    rig.lose_and_return("dev1", 1);  // the second loss: still an ordinary one
    CHECK(rig.state_of("dev1").state == SessionState::Connected);

    rig.advance(5s);
    rig.lose("dev1");  // the third loss in 16 s, this device's alone: another owner has the id
    // Decided once the other sessions' closes of that moment would have arrived.
    CHECK(rig.state_of("dev1").state == SessionState::BackingOff);
    rig.advance(1s);
    auto snap = rig.state_of("dev1");
    CHECK(snap.state == SessionState::Replaced);
    CHECK(snap.reason.find("another connection") != std::string::npos);
    const auto connects = rig.conn("dev1").connects.size();
    rig.advance(9min);
    CHECK(rig.conn("dev1").connects.size() == connects);  // no reconnect fight
    rig.sessions.restart_session("dev1");
    rig.pump();
    CHECK(rig.conn("dev1").connects.size() == connects + 1);
}

TEST_CASE("a hub outage that drops the whole fleet again and again parks no session") {
    Rig rig;
    const std::vector<std::string> fleet{"d0", "d1", "d2", "d3", "d4"};
    for (const auto& id : fleet) {
        rig.open(id, downlink_needs());
    }
    for (int round = 0; round < 4; ++round) {
        for (const auto& id : fleet) {
            rig.lose(id);  // every session in the same instant
        }
        rig.advance(5s);
        for (const auto& id : fleet) {
            rig.connack(id, true);
            rig.suback(id);
        }
    }
    rig.advance(2s);
    for (const auto& id : fleet) {
        CHECK(rig.state_of(id).state == SessionState::Connected);
        CHECK(rig.state_of(id).counters.connection_losses == 4);
    }
}

TEST_CASE("a shared drop does not count toward replaced - the device's own closes still do") {
    Rig rig;
    rig.open("a", downlink_needs());
    rig.open("b", downlink_needs());
    rig.lose("a");
    rig.lose("b");  // together: the hub's or the network's doing
    rig.advance(5s);
    rig.connack("a", true);
    rig.suback("a");
    rig.connack("b", true);
    rig.suback("b");
    rig.lose_and_return("a", 1);  // "a" alone, twice: with the shared one, three closes
    rig.advance(5s);
    rig.lose("a");
    rig.advance(2s);
    CHECK(rig.state_of("a").state != SessionState::Replaced);  // only two of its own
    rig.connack("a", true);
    rig.suback("a");
    rig.advance(5s);
    rig.lose("a");  // its third close of its own within the minute
    rig.advance(2s);
    CHECK(rig.state_of("a").state == SessionState::Replaced);
    CHECK(rig.state_of("b").state == SessionState::Connected);
}

TEST_CASE("keep-alive timeouts are hubgate's own doing - never taken for another owner") {
    Rig rig;
    rig.open("dev1", downlink_needs());
    for (int i = 0; i < 5; ++i) {
        rig.lose("dev1", LossOrigin::Local);
        rig.advance(5s);
        rig.connack("dev1", true);
        rig.suback("dev1");
    }
    rig.advance(2s);
    CHECK(rig.state_of("dev1").state == SessionState::Connected);
}

TEST_CASE("a replaced session tries again after replaced_retry, not never") {
    auto session = Rig::session_defaults();
    session.replaced_retry = 10min;
    Rig rig(Rig::defaults(), session);
    rig.open("dev1", downlink_needs());
    rig.lose_and_return("dev1", 2, 2s);
    rig.lose("dev1");
    rig.advance(1s);
    REQUIRE(rig.state_of("dev1").state == SessionState::Replaced);
    CHECK(rig.state_of("dev1").retry_at.has_value());
    const auto connects = rig.conn("dev1").connects.size();
    rig.advance(9min + 58s);
    CHECK(rig.conn("dev1").connects.size() == connects);  // the other owner keeps the id
    rig.advance(2s);
    CHECK(rig.conn("dev1").connects.size() == connects + 1);
    rig.connack("dev1", true);
    rig.suback("dev1");
    CHECK(rig.state_of("dev1").state == SessionState::Connected);
    // Kicked again at once: the other owner is still there, so it lets go for another while
    // (the closes before it parked do not count twice).
    rig.advance(2s);
    rig.lose("dev1");
    CHECK(rig.state_of("dev1").state == SessionState::BackingOff);  // the first loss since
    rig.advance(2s);
    rig.connack("dev1", true);
    rig.lose_and_return("dev1", 1, 2s);
    rig.lose("dev1");
    rig.advance(1s);
    CHECK(rig.state_of("dev1").state == SessionState::Replaced);
    const auto parked = rig.conn("dev1").connects.size();
    rig.advance(9min);
    CHECK(rig.conn("dev1").connects.size() == parked);
    rig.advance(1min);
    CHECK(rig.conn("dev1").connects.size() == parked + 1);
}

TEST_CASE("losses far apart are ordinary losses") {
    Rig rig;
    rig.open("dev1", {});
    for (int i = 0; i < 4; ++i) {
        rig.lose("dev1");
        rig.advance(1s);
        rig.connack("dev1", true);
        rig.advance(30s);
    }
    rig.lose("dev1");
    rig.advance(2s);
    CHECK(rig.state_of("dev1").state != SessionState::Replaced);
}

TEST_CASE("telemetry goes out at QoS 1 with its property bag and reports the hub's ack") {
    Rig rig;
    std::vector<std::pair<uint64_t, PublishStatus>> results;
    auto record = [&](uint64_t handle, PublishStatus status) {
        results.emplace_back(handle, status);
    };

    const auto early = rig.sessions.publish_telemetry("dev1", {}, "x", record);
    rig.pump();
    REQUIRE(results.size() == 1);
    CHECK(results[0] == std::pair{early, PublishStatus::NotConnected});  // the spool keeps it

    rig.connack("dev1", true);
    const auto handle = rig.sessions.publish_telemetry(
        "dev1", {{"$.ct", "application/json"}, {"k", "v 1"}}, "{\"t\":1}", record);
    rig.pump();
    const auto& sent = rig.last_publish("dev1");
    CHECK(sent.topic == "devices/dev1/messages/events/$.ct=application%2Fjson&k=v%201");
    CHECK(sent.qos == 1);
    CHECK(results.size() == 1);  // nothing reported before the ack
    rig.conn("dev1").events->on_publish_result(sent.tag, true, "");
    rig.pump();
    REQUIRE(results.size() == 2);
    CHECK(results[1] == std::pair{handle, PublishStatus::Acked});

    const auto lost = rig.sessions.publish_telemetry("dev1", {}, "y", record);
    rig.pump();
    rig.lose("dev1");
    REQUIRE(results.size() == 3);
    CHECK(results[2] == std::pair{lost, PublishStatus::ConnectionLost});
    // A late ack for a message already reported lost is ignored (reported once only).
    rig.conn("dev1").events->on_publish_result(rig.last_publish("dev1").tag, true, "");
    rig.pump();
    CHECK(results.size() == 3);
}

TEST_CASE("telemetry QoS 0 when configured - never 2 - oversize messages refused locally") {
    auto session = Rig::session_defaults();
    session.telemetry_qos = 2;
    Rig rig(Rig::defaults(), session);
    rig.open("dev1", {});
    PublishStatus status{};
    rig.sessions.publish_telemetry("dev1", {}, "x", [&](uint64_t, PublishStatus s) { status = s; });
    rig.pump();
    CHECK(rig.last_publish("dev1").qos == 1);
    const auto count = rig.conn("dev1").publishes.size();
    rig.sessions.publish_telemetry("dev1", {}, std::string(300 * 1024, 'x'),
                                   [&](uint64_t, PublishStatus s) { status = s; });
    rig.pump();
    CHECK(status == PublishStatus::Rejected);
    CHECK(rig.conn("dev1").publishes.size() == count);
}

TEST_CASE("after every connect the twin is read and its desired document handed down") {
    Rig rig;
    rig.open("dev1", downlink_needs());
    auto get = rig.last_publish("dev1");
    CHECK(get.topic == "$iothub/twin/GET/?$rid=1");
    rig.deliver("dev1", "$iothub/twin/res/200/?$rid=1",
                R"({"desired":{"rate":5,"$version":3},"reported":{"$version":1}})");
    REQUIRE(rig.listener.desired.size() == 1);
    CHECK(rig.listener.desired[0].complete);
    CHECK(rig.listener.desired[0].version == 3);
    CHECK(rig.listener.desired[0].desired["rate"] == 5);

    // Reconnect with nothing changed: handed down all the same (the daemon's kept document
    // tells it is no news).
    rig.lose("dev1");
    rig.advance(1s);
    rig.connack("dev1", true);
    rig.suback("dev1");
    get = rig.last_publish("dev1");
    CHECK(get.topic == "$iothub/twin/GET/?$rid=2");
    rig.deliver("dev1", "$iothub/twin/res/200/?$rid=2", R"({"desired":{"rate":5,"$version":3}})");
    REQUIRE(rig.listener.desired.size() == 2);
    CHECK(rig.listener.desired[1].complete);

    // A hub whose twin was created again counts afresh: a patch at $version 2 arrives before
    // the GET's answer at $version 2. The answer is still handed down whole, so the daemon,
    // which refused the patch as older than its kept $version 3, gets the new document.
    rig.advance(61s);
    rig.lose("dev1");
    rig.advance(1s);
    rig.connack("dev1", true);
    rig.suback("dev1");
    rig.deliver("dev1", "$iothub/twin/PATCH/properties/desired/?$version=2",
                R"({"rate":6,"$version":2})");
    REQUIRE(rig.listener.desired.size() == 3);
    CHECK_FALSE(rig.listener.desired[2].complete);
    rig.deliver("dev1", "$iothub/twin/res/200/?$rid=3", R"({"desired":{"rate":6,"$version":2}})");
    REQUIRE(rig.listener.desired.size() == 4);
    CHECK(rig.listener.desired[3].complete);
    CHECK(rig.listener.desired[3].version == 2);
}

TEST_CASE("the twin GET waits for the SUBACK") {
    Rig rig;
    rig.sessions.ensure_session("dev1", downlink_needs());
    rig.pump();
    rig.connack("dev1", true);
    CHECK(rig.conn("dev1").publishes.empty());
    rig.suback("dev1");
    CHECK(rig.conn("dev1").publishes.size() == 1);
}

TEST_CASE("a twin request answered 429 is retried after back-off with a new request id") {
    Rig rig;
    DeviceNeeds needs;
    needs.twin = true;
    rig.open("dev1", needs);
    std::optional<TwinResult> result;
    rig.sessions.patch_reported("dev1", json{{"temp", 21}},
                                [&](const TwinResult& r) { result = r; });
    rig.pump();
    auto patch = rig.last_publish("dev1");
    CHECK(patch.topic == "$iothub/twin/PATCH/properties/reported/?$rid=1");
    CHECK(json::parse(patch.payload) == json{{"temp", 21}});
    rig.deliver("dev1", "$iothub/twin/res/429/?$rid=1", R"({"errorCode":429001,"message":"slow"})");
    CHECK_FALSE(result);
    const auto sent = rig.conn("dev1").publishes.size();
    rig.advance(499ms);
    CHECK(rig.conn("dev1").publishes.size() == sent);  // backing off
    rig.advance(1ms);
    REQUIRE(rig.conn("dev1").publishes.size() == sent + 1);
    CHECK(rig.last_publish("dev1").topic == "$iothub/twin/PATCH/properties/reported/?$rid=2");
    rig.deliver("dev1", "$iothub/twin/res/429/?$rid=1", "{}");  // a stale answer: ignored
    CHECK_FALSE(result);
    rig.deliver("dev1", "$iothub/twin/res/204/?$rid=2&$version=7", "");
    REQUIRE(result);
    CHECK(result->status == 204);
    CHECK(result->version == 7);
    auto snap = rig.state_of("dev1");
    CHECK(snap.counters.twin_throttled == 1);
    CHECK(snap.counters.twin_retries == 1);
}

TEST_CASE("twin requests give up after the configured attempts - with the last status") {
    auto session = Rig::session_defaults();
    session.twin_max_attempts = 2;
    Rig rig(Rig::defaults(), session);
    DeviceNeeds needs;
    needs.twin = true;
    rig.open("dev1", needs);
    std::optional<TwinResult> result;
    rig.sessions.get_twin("dev1", [&](const TwinResult& r) { result = r; });
    rig.pump();
    rig.deliver("dev1", "$iothub/twin/res/503/?$rid=1", "{}");
    rig.advance(1s);
    rig.deliver("dev1", "$iothub/twin/res/503/?$rid=2", "{}");
    REQUIRE(result);
    CHECK(result->status == 503);
    CHECK_FALSE(result->error.empty());
}

TEST_CASE("a twin request with no answer times out and is sent again") {
    Rig rig;
    DeviceNeeds needs;
    needs.twin = true;
    rig.open("dev1", needs);
    std::optional<TwinResult> result;
    rig.sessions.get_twin("dev1", [&](const TwinResult& r) { result = r; });
    rig.pump();
    CHECK(rig.last_publish("dev1").topic == "$iothub/twin/GET/?$rid=1");
    rig.advance(10s);
    rig.advance(500ms);
    CHECK(rig.last_publish("dev1").topic == "$iothub/twin/GET/?$rid=2");
    rig.deliver("dev1", "$iothub/twin/res/200/?$rid=2", R"({"desired":{"$version":1}})");
    REQUIRE(result);
    CHECK(result->status == 200);
}

TEST_CASE("twin reads are paced by their own bucket") {
    auto options = Rig::defaults();
    options.twin_read_rate = 1;
    Rig rig(options);
    DeviceNeeds needs;
    needs.twin = true;
    rig.open("dev1", needs);
    for (int i = 0; i < 3; ++i) {
        rig.sessions.get_twin("dev1", [](const TwinResult&) {});
    }
    rig.pump();
    CHECK(rig.conn("dev1").publishes.size() == 1);
    rig.advance(1s);
    CHECK(rig.conn("dev1").publishes.size() == 2);
}

TEST_CASE("a twin request enables twin answers on a session that had none") {
    Rig rig;
    rig.open("dev1", {});
    rig.sessions.get_twin("dev1", [](const TwinResult&) {});
    rig.pump();
    REQUIRE(rig.conn("dev1").subscriptions.size() == 1);
    CHECK(rig.conn("dev1").subscriptions[0] == std::vector<std::string>{"$iothub/twin/res/#"});
    CHECK(rig.conn("dev1").publishes.empty());  // waits for the SUBACK
    rig.suback("dev1");
    CHECK(rig.last_publish("dev1").topic == "$iothub/twin/GET/?$rid=1");
}

TEST_CASE("a method call is handed down and its reply sent back with the same rid") {
    Rig rig;
    rig.open("dev1", downlink_needs());
    rig.deliver("dev1", "$iothub/methods/POST/reboot/?$rid=42", R"({"delay":1})");
    REQUIRE(rig.listener.methods.size() == 1);
    CHECK(rig.listener.methods[0].name == "reboot");
    CHECK(rig.listener.methods[0].rid == "42");
    CHECK(rig.listener.methods[0].payload == R"({"delay":1})");
    CHECK(rig.sessions.reply_method("dev1", "42", 200, R"({"ok":true})"));
    CHECK(rig.last_publish("dev1").topic == "$iothub/methods/res/200/?$rid=42");
    CHECK(rig.last_publish("dev1").payload == R"({"ok":true})");
    CHECK(rig.state_of("dev1").counters.methods_answered == 1);
}

TEST_CASE("a method answer is sent only while the device's session is connected") {
    Rig rig;
    // No session: nothing to send it on.
    CHECK_FALSE(rig.sessions.reply_method("dev1", "1", 200, "{}"));
    rig.open("dev1", downlink_needs());
    rig.deliver("dev1", "$iothub/methods/POST/slow/?$rid=7", "null");
    const auto sent = rig.conn("dev1").publishes.size();
    // The session ended: the hub failed the call with it, so the answer is not sent.
    rig.lose("dev1");
    CHECK_FALSE(rig.sessions.reply_method("dev1", "7", 200, "{}"));
    CHECK(rig.conn("dev1").publishes.size() == sent);
    CHECK(rig.state_of("dev1").counters.methods_answered == 0);
    // The session no longer answers by itself either: timeouts are the daemon's (504).
    rig.advance(60s);
    CHECK(rig.conn("dev1").publishes.size() == sent);
}

TEST_CASE("a task for a time runs on the manager's loop once its time has come") {
    Rig rig;
    std::vector<int> ran;
    rig.sessions.execute_at(rig.clock.now() + 2s, [&] { ran.push_back(2); });
    rig.sessions.execute_at(rig.clock.now() + 1s, [&] { ran.push_back(1); });
    rig.advance(999ms);
    CHECK(ran.empty());
    rig.advance(1ms);
    CHECK(ran == std::vector<int>{1});
    rig.advance(1s);
    CHECK(ran == std::vector<int>{1, 2});
    rig.advance(10s);
    CHECK(ran.size() == 2);
}

TEST_CASE("a method for a device with no method mapping is answered 501") {
    Rig rig;
    DeviceNeeds c2d_only;
    c2d_only.c2d = true;
    rig.open("dev1", c2d_only);
    rig.deliver("dev1", "$iothub/methods/POST/reboot/?$rid=9", "null");
    CHECK(rig.listener.methods.empty());
    CHECK(rig.last_publish("dev1").topic == "$iothub/methods/res/501/?$rid=9");
    CHECK(json::parse(rig.last_publish("dev1").payload).contains("message"));
}

TEST_CASE("C2D messages are handed down with their decoded property bag") {
    Rig rig;
    rig.open("dev1", downlink_needs());
    rig.deliver("dev1", "devices/dev1/messages/devicebound/%24.mid=m1&color=dark%20red", "hello");
    REQUIRE(rig.listener.c2d.size() == 1);
    CHECK(rig.listener.c2d[0].payload == "hello");
    CHECK(rig.listener.c2d[0].properties == Properties{{"$.mid", "m1"}, {"color", "dark red"}});
    rig.deliver("dev1", "devices/other/messages/devicebound/", "not mine");
    CHECK(rig.listener.c2d.size() == 1);
    CHECK(rig.state_of("dev1").counters.downlink_dropped == 1);
}

// A C2D keeper that records what it is given, refuses on demand, and what is released.
struct RecordingKeeper final : C2dKeeper {
    std::optional<std::uint64_t> keep(const std::string& device_id, const std::string& topic,
                                      const std::string& payload) override {
        kept.push_back({device_id, topic, payload});
        if (refuse) {
            return std::nullopt;
        }
        return next_ticket++;
    }
    void release(std::uint64_t ticket) override { released.push_back(ticket); }
    struct Kept {
        std::string device_id, topic, payload;
    };
    std::vector<Kept> kept;
    std::vector<std::uint64_t> released;
    bool refuse = false;
    std::uint64_t next_ticket = 41;
};

TEST_CASE("a C2D message is kept on the I/O thread before it is handed down, with its ticket") {
    RecordingKeeper keeper;
    Rig rig(keeper);
    rig.open("dev1", downlink_needs());
    const std::string topic = "devices/dev1/messages/devicebound/%24.mid=m1";
    // Kept inside the upstream's callback, before the manager's thread saw it.
    CHECK(rig.conn("dev1").events->on_message(topic, "hello"));
    REQUIRE(keeper.kept.size() == 1);
    CHECK(keeper.kept[0].device_id == "dev1");
    CHECK(keeper.kept[0].topic == topic);
    CHECK(keeper.kept[0].payload == "hello");
    CHECK(rig.listener.c2d.empty());
    rig.pump();
    REQUIRE(rig.listener.c2d.size() == 1);
    CHECK(rig.listener.c2d[0].kept_ticket == 41);

    // Method requests and twin traffic are not C2D messages: nothing to keep.
    rig.deliver("dev1", "$iothub/methods/POST/reboot/?$rid=9", "null");
    CHECK(keeper.kept.size() == 1);

    // The disk refused: the upstream is told, so that the PUBACK never leaves.
    keeper.refuse = true;
    CHECK_FALSE(rig.conn("dev1").events->on_message(topic, "again"));
    rig.pump();
    CHECK(rig.listener.c2d.size() == 1);
}

TEST_CASE("a kept C2D message that the session drops is released") {
    RecordingKeeper keeper;
    Rig rig(keeper);
    DeviceNeeds methods_only;
    methods_only.methods = true;
    rig.open("dev1", methods_only);
    rig.deliver("dev1", "devices/dev1/messages/devicebound/", "unmapped");
    CHECK(rig.listener.c2d.empty());
    CHECK(keeper.released == std::vector<std::uint64_t>{41});
}

TEST_CASE("idle sessions without downlink are closed - downlink sessions stay") {
    auto options = Rig::defaults();
    options.idle_timeout = 30s;
    Rig rig(options);
    rig.open("telemetry", {});
    rig.open("commands", downlink_needs());
    rig.advance(20s);
    rig.sessions.publish_telemetry("telemetry", {}, "x", [](uint64_t, PublishStatus) {});
    rig.pump();
    rig.advance(20s);
    CHECK(rig.conn("telemetry").disconnects == 0);  // active 20 s ago
    rig.advance(11s);
    CHECK(rig.conn("telemetry").disconnects == 1);
    CHECK(rig.conn("commands").disconnects == 0);
    rig.conn("telemetry").events->on_disconnected();
    rig.pump();
    CHECK(rig.conn("telemetry").destroyed);
    const auto snaps = rig.sessions.snapshot();
    REQUIRE(snaps.size() == 1);
    CHECK(snaps[0].device_id == "commands");
}

TEST_CASE("a closed device gets a fresh session on its next message") {
    Rig rig;
    rig.open("dev1", {});
    rig.sessions.close_session("dev1");
    rig.pump();
    const auto first = rig.upstream.records.size();
    rig.sessions.publish_telemetry("dev1", {}, "x", [](uint64_t, PublishStatus) {});
    rig.pump();
    CHECK(rig.upstream.records.size() == first + 1);
    CHECK(rig.conn("dev1").connects.size() == 1);
}

TEST_CASE("state changes are reported to the listener") {
    Rig rig;
    rig.open("dev1", {});
    std::vector<SessionState> seen;
    for (const auto& [device, state] : rig.listener.states) {
        seen.push_back(state);
    }
    CHECK(seen == std::vector<SessionState>{SessionState::WaitingToConnect,
                                            SessionState::Connecting, SessionState::Connected});
}

TEST_CASE("the log of a session's life carries no token signature") {
    std::ostringstream log;
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log);
    auto previous = spdlog::default_logger();
    auto capture = std::make_shared<spdlog::logger>("capture", sink);
    capture->set_level(spdlog::level::trace);
    spdlog::set_default_logger(capture);
    {
        Rig rig;
        rig.open("dev1", downlink_needs());
        rig.lose("dev1");
        rig.advance(1s);
        rig.connack("dev1", false, 4);
        rig.advance(10min);
        for (const auto& request : rig.conn("dev1").connects) {
            const auto token = hubgate::iothub::parse_sas_token(request.password);
            REQUIRE(token);
            CHECK(log.str().find(token->signature) == std::string::npos);
            CHECK(log.str().find(hubgate::iothub::url_encode(token->signature)) ==
                  std::string::npos);
        }
    }
    spdlog::set_default_logger(previous);
    CHECK(log.str().find("connecting as") != std::string::npos);  // the connect was logged
    CHECK(log.str().find("sig=") == std::string::npos);
}
