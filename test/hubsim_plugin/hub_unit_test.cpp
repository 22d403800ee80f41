// Unit tests of the hub (hubsim/plugin/hub.hpp) with a fake broker. The tick only looks at
// devices that need it: these check that every event which makes C2D work or a session deadline
// due still reaches the tick, with many idle devices around. on_message reuses the topic
// classification of the ACL check just before it: checked only for the same client and topic.
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "hubgate/iothub/sas_token.hpp"
#include "hubsim/common/session_deadlines.hpp"
#include "hubsim/plugin/hub.hpp"

using namespace hubsim;
using namespace std::chrono_literals;

namespace {

const std::string kTickHub = "hubsim.azure-devices.net";
const std::string kTickKey = hubgate::iothub::base64_encode("device-primary-key-0123456789abc");
constexpr int kIdleDevices = 1000;

// Records what the hub asks of the broker.
class FakeBroker final : public BrokerActions {
  public:
    struct Publish {
        std::string client_id;
        std::string topic;
        std::string payload;
        int qos = 0;
    };
    void publish(const std::string& client_id, const std::string& topic, const std::string& payload,
                 int qos, std::optional<uint32_t>) override {
        published.push_back(Publish{client_id, topic, payload, qos});
    }
    void kick(const std::string& client_id) override { kicked.push_back(client_id); }

    std::vector<Publish> published;
    std::vector<std::string> kicked;
};

std::string device_name(int index) {
    return "dev" + std::to_string(index);
}

HubConfig config() {
    HubConfig hub;
    hub.hostname = kTickHub;
    for (int i = 0; i < kIdleDevices; ++i)
        hub.devices.push_back(DeviceIdentity{device_name(i), kTickKey, kTickKey, "", true});
    return hub;
}

ConnectAttempt tick_attempt(const std::string& id, std::chrono::seconds ttl) {
    auto token = hubgate::iothub::make_sas_token(
        {kTickHub + "/devices/" + id, kTickKey, std::nullopt, hubgate::iothub::expiry_after(ttl)});
    return ConnectAttempt{id, kTickHub + "/" + id + "/?api-version=2021-04-12", token, std::nullopt,
                          std::nullopt};
}

std::string c2d_filter(const std::string& id) {
    return "devices/" + id + "/messages/devicebound/#";
}

// A hub with kIdleDevices registered devices and a fake broker; connection handles are the
// addresses of `handles` slots.
struct HubFixture {
    FakeBroker broker;
    BrokerTasks tasks;
    Hub hub{config(), broker, tasks};
    int handles[8] = {};

    void connect(const std::string& id, int handle, bool clean_session = true,
                 std::chrono::seconds ttl = 1h) {
        REQUIRE(hub.on_connect(&handles[handle], tick_attempt(id, ttl), clean_session));
    }
    void subscribe_c2d(const std::string& id) {
        REQUIRE(hub.on_subscribe(id, c2d_filter(id)) == Verdict::allow);
    }
    std::string send(const std::string& id, const std::string& payload,
                     std::optional<std::chrono::seconds> ttl = std::nullopt) {
        C2dRequest request;
        request.payload = payload;
        request.ttl = ttl;
        auto result = hub.send_c2d(id, request);
        REQUIRE(result.status == 200);
        return result.body["messageId"].get<std::string>();
    }
    json c2d_state(const std::string& id) { return hub.c2d_state(id).body; }
    // Ticks until `done` holds, up to `timeout` of wall time (token and TTL expiry are in whole
    // seconds of the real clock).
    template <typename Done>
    bool tick_until(Done&& done, std::chrono::seconds timeout = 5s) {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        while (!done()) {
            if (std::chrono::steady_clock::now() > deadline)
                return false;
            hub.on_tick();
            std::this_thread::sleep_for(10ms);  // an idle broker ticks every 100 ms
        }
        return true;
    }
    std::vector<std::string> logged(const std::string& id) {
        std::vector<std::string> events;
        auto connections = hub.connections().body;
        for (const auto& entry : connections["log"]) {
            if (entry["deviceId"] == id)
                events.push_back(entry["event"].get<std::string>());
        }
        return events;
    }
};

}  // namespace

TEST_CASE("tick: a C2D message to a connected, subscribed device goes out on the next tick") {
    HubFixture f;
    f.connect("dev500", 0);
    f.subscribe_c2d("dev500");
    f.hub.on_tick();
    f.hub.on_tick();
    REQUIRE(f.broker.published.empty());

    auto id = f.send("dev500", "hello");
    f.hub.on_tick();
    REQUIRE(f.broker.published.size() == 1);
    CHECK(f.broker.published[0].client_id == "dev500");
    CHECK(f.broker.published[0].topic.starts_with("devices/dev500/messages/devicebound/"));
    CHECK(f.broker.published[0].topic.find(id) != std::string::npos);
    CHECK(f.broker.published[0].payload == "hello");
    CHECK(f.broker.published[0].qos == 1);
    CHECK(f.c2d_state("dev500")["delivered"] == 1);

    f.hub.on_tick();
    CHECK(f.broker.published.size() == 1);  // handed over once
}

TEST_CASE("tick: a queued message goes out on the tick after the device subscribes to C2D") {
    HubFixture f;
    f.connect("dev7", 0);
    f.send("dev7", "waiting");
    f.hub.on_tick();
    CHECK(f.broker.published.empty());  // connected but not subscribed
    CHECK(f.c2d_state("dev7")["queued"] == 1);

    // Other subscriptions do not release C2D messages.
    REQUIRE(f.hub.on_subscribe("dev7", "$iothub/methods/POST/#") == Verdict::allow);
    f.hub.on_tick();
    CHECK(f.broker.published.empty());

    f.subscribe_c2d("dev7");
    f.hub.on_tick();
    REQUIRE(f.broker.published.size() == 1);
    CHECK(f.broker.published[0].payload == "waiting");
}

TEST_CASE("tick: a persistent session's reconnect delivers waiting messages and ends its sweep") {
    HubFixture f;
    f.connect("dev3", 0, false);
    f.subscribe_c2d("dev3");
    f.send("dev3", "first");
    f.hub.on_tick();
    REQUIRE(f.broker.published.size() == 1);
    std::string first_topic = f.broker.published[0].topic;
    f.hub.on_disconnect(&f.handles[0], "dev3");
    f.send("dev3", "offline");
    f.hub.on_tick();
    CHECK(f.broker.published.size() == 1);  // offline: kept in the hub

    SUBCASE("the broker's session no longer holds the first message: it was acknowledged") {
        f.connect("dev3", 1, false);
        f.hub.on_tick();
        auto state = f.c2d_state("dev3");
        CHECK(state["completed"] == 1);
        CHECK(state["redelivered"] == 0);
    }
    SUBCASE("the broker resends the first message from the session: still unacknowledged") {
        f.connect("dev3", 1, false);
        CHECK(f.hub.on_deliver_check("dev3", first_topic));
        f.hub.on_tick();
        auto state = f.c2d_state("dev3");
        CHECK(state["completed"] == 0);
        CHECK(state["redelivered"] == 1);
    }
    // The subscription survived the reconnect: the message sent while offline goes out.
    REQUIRE(f.broker.published.size() == 2);
    CHECK(f.broker.published[1].payload == "offline");
}

TEST_CASE("tick: after a clean-session reconnect, handed-over messages wait for the SUBSCRIBE") {
    HubFixture f;
    f.connect("dev4", 0);
    f.subscribe_c2d("dev4");
    f.send("dev4", "again");
    f.hub.on_tick();
    REQUIRE(f.broker.published.size() == 1);

    f.connect("dev4", 1);  // clean session: the broker lost its queue
    f.hub.on_tick();
    CHECK(f.broker.published.size() == 1);
    CHECK(f.c2d_state("dev4")["queued"] == 1);
    f.subscribe_c2d("dev4");
    f.hub.on_tick();
    REQUIRE(f.broker.published.size() == 2);
    CHECK(f.broker.published[1].payload == "again");
    CHECK(f.c2d_state("dev4")["redelivered"] == 1);
}

TEST_CASE("tick: a waiting message expires by its TTL with no other event") {
    HubFixture f;
    f.send("dev9", "stale", 1s);
    f.send("dev9", "fresh");
    REQUIRE(f.tick_until([&] { return f.c2d_state("dev9")["expired"] == 1; }));
    CHECK(f.c2d_state("dev9")["queued"] == 1);
}

TEST_CASE("tick: an expired token is kicked with no other event, a renewed one is not") {
    HubFixture f;
    f.connect("dev1", 0, true, 2s);
    f.connect("dev2", 1, true, 2s);
    f.connect("dev2", 2, true, 1h);  // the token was renewed by a new connection
    f.hub.on_disconnect(&f.handles[1], "dev2");
    f.connect("dev3", 3, true, 1h);
    REQUIRE(f.tick_until([&] { return !f.broker.kicked.empty(); }));
    CHECK(f.broker.kicked == std::vector<std::string>{"dev1"});
    f.hub.on_disconnect(&f.handles[0], "dev1");
    CHECK(f.logged("dev1") == std::vector<std::string>{"connect", "expired"});
    CHECK(f.logged("dev2") == std::vector<std::string>{"connect", "connect", "replaced"});

    // Once closed, an expired session is not kicked again.
    f.hub.on_tick();
    CHECK(f.broker.kicked.size() == 1);
}

TEST_CASE("tick: a device that disconnected before its token expired is not kicked") {
    HubFixture f;
    f.connect("dev1", 0, true, 2s);
    f.connect("dev2", 1, true, 2s);
    f.hub.on_disconnect(&f.handles[0], "dev1");
    REQUIRE(f.tick_until([&] { return !f.broker.kicked.empty(); }));
    CHECK(f.broker.kicked == std::vector<std::string>{"dev2"});
}

TEST_CASE("telemetry: each message is recorded with its own topic's properties") {
    HubFixture f;
    const std::string a = "devices/dev1/messages/events/k=a";
    const std::string b = "devices/dev1/messages/events/k=b";
    REQUIRE(f.hub.on_publish_check("dev1", a, 1, 1) == Verdict::allow);
    f.hub.on_message("dev1", a, "1", false);
    // No check in between (not what mosquitto does): the classification of `a` must not be used.
    f.hub.on_message("dev1", b, "2", false);
    REQUIRE(f.hub.on_publish_check("dev1", a, 1, 1) == Verdict::allow);
    f.hub.on_message("dev2", "devices/dev2/messages/events/k=c", "3", false);
    f.hub.on_message("dev1", a, "4", true);

    auto records = f.hub.telemetry(0, 0ms, std::nullopt).body["messages"];
    REQUIRE(records.size() == 4);
    CHECK(records[0]["payload"] == "1");
    CHECK(records[0]["properties"] == json{{"k", "a"}});
    CHECK(records[1]["properties"] == json{{"k", "b"}});
    CHECK(records[2]["deviceId"] == "dev2");
    CHECK(records[2]["properties"] == json{{"k", "c"}});
    CHECK(records[3]["properties"] == json{{"k", "a"}, {"x-opt-retain", "true"}});
}

TEST_CASE("session deadlines: one per device, due ones taken soonest first") {
    SessionDeadlines deadlines;
    deadlines.set("a", 30);
    deadlines.set("b", 10);
    deadlines.set("c", 20);
    deadlines.set("c", 40);  // replaced
    deadlines.set("d", 0);   // no deadline
    deadlines.clear("a");
    CHECK(deadlines.size() == 2);
    CHECK(deadlines.take_due(9).empty());
    CHECK(deadlines.take_due(40) == std::vector<std::string>{"b", "c"});
    CHECK(deadlines.size() == 0);
    CHECK(deadlines.take_due(1000).empty());
}
