// C2D queues, twins and direct methods through the service API and a real device connection.
#include <doctest/doctest.h>

#include <thread>

#include "hubsim/common/property_bag.hpp"
#include "plugin_broker.hpp"

using namespace hubsim::test;
using namespace std::chrono_literals;

namespace {

const std::string kC2dFilter = "devices/dev1/messages/devicebound/#";

hubsim::PropertyBag bag_of(const std::string& topic, const std::string& prefix) {
    REQUIRE(topic.starts_with(prefix));
    auto bag = hubsim::parse_property_bag(topic.substr(prefix.size()));
    REQUIRE(bag);
    return *bag;
}

std::string rid_of(const std::string& topic) {
    auto at = topic.find("$rid=");
    REQUIRE(at != std::string::npos);
    auto end = topic.find('&', at);
    return topic.substr(at + 5, end == std::string::npos ? std::string::npos : end - at - 5);
}

}  // namespace

TEST_CASE("c2d: held until the device subscribes, then delivered at QoS 1 with its properties") {
    PluginBroker hub;
    auto device = hub.connect_device("dev1", false);
    auto sent =
        hub.call("POST", "/hubsim/devices/dev1/messages",
                 {{"payload", "hello"}, {"properties", {{"k", "a/b"}}}, {"correlationId", "c1"}});
    REQUIRE(sent.status == 200);
    CHECK_FALSE(device->next_publish(300ms));  // not subscribed yet: nothing arrives
    CHECK(hub.call("GET", "/hubsim/devices/dev1/messages").body["queued"] == 1);

    REQUIRE(device->subscribe({{kC2dFilter, 1}}) == std::vector<int>{1});
    auto message = device->next_publish();
    REQUIRE(message);
    CHECK(message->qos() == 1);
    CHECK(message->payload == "hello");
    auto bag = bag_of(message->topic, "devices/dev1/messages/devicebound/");
    CHECK(bag.system.at("$.mid") == sent.body["messageId"]);
    CHECK(bag.system.at("$.cid") == "c1");
    CHECK(bag.system.at("$.to") == "/devices/dev1/messages/deviceBound");
    CHECK(bag.application.at("k") == "a/b");
    CHECK(message->topic.find("a/b") == std::string::npos);  // '/' is percent-encoded
}

TEST_CASE("c2d: at most 50 messages wait for a device") {
    PluginBroker hub;
    for (int i = 0; i < 50; ++i) {
        REQUIRE(hub.call("POST", "/hubsim/devices/dev1/messages", {{"payload", std::to_string(i)}})
                    .status == 200);
    }
    auto refused = hub.call("POST", "/hubsim/devices/dev1/messages", {{"payload", "51"}});
    CHECK(refused.status == 403);
    CHECK(refused.body["Message"].get<std::string>().starts_with(
        "ErrorCode:DeviceMaximumQueueDepthExceeded"));
}

TEST_CASE(
    "c2d: an unacknowledged message comes again after a CleanSession=0 reconnect until PUBACKed") {
    PluginBroker hub;
    {
        auto device = hub.subscribed_device("dev1", {kC2dFilter}, false);
        REQUIRE(hub.call("POST", "/hubsim/devices/dev1/messages", {{"payload", "once"}}).status ==
                200);
        auto first = device->next_publish();
        REQUIRE(first);
        CHECK(first->payload == "once");
        device->disconnect();  // without PUBACK
    }
    REQUIRE(hub.wait_for_event("dev1", "disconnect"));
    {
        // No new SUBSCRIBE: the persistent session keeps the subscription and the message.
        auto device = hub.connect_device("dev1", false);
        auto again = device->next_publish();
        REQUIRE(again);
        CHECK(again->payload == "once");
        CHECK(again->dup());
        device->puback(again->packet_id);
        device->disconnect();
    }
    {
        auto device = hub.connect_device("dev1", false);
        CHECK_FALSE(device->next_publish(300ms));  // acknowledged: not sent again
        auto state = hub.call("GET", "/hubsim/devices/dev1/messages").body;
        CHECK(state["completed"] == 1);
        CHECK(state["pending"] == 0);
    }
}

TEST_CASE("c2d: messages sent while the device is offline arrive at its reconnect") {
    PluginBroker hub;
    hub.subscribed_device("dev1", {kC2dFilter}, false)->disconnect();
    REQUIRE(hub.wait_for_event("dev1", "disconnect"));
    REQUIRE(hub.call("POST", "/hubsim/devices/dev1/messages", {{"payload", "offline"}}).status ==
            200);
    auto device = hub.connect_device("dev1", false);
    auto message = device->next_publish();
    REQUIRE(message);
    CHECK(message->payload == "offline");
}

TEST_CASE("c2d: a message whose TTL passes before the device subscribes is dropped") {
    PluginBroker hub;
    REQUIRE(
        hub.call("POST", "/hubsim/devices/dev1/messages", {{"payload", "stale"}, {"ttlSeconds", 1}})
            .status == 200);
    REQUIRE(hub.call("POST", "/hubsim/devices/dev1/messages", {{"payload", "fresh"}}).status ==
            200);
    // The broker tick checks expiry every 100 ms; wait (bounded) until the hub reports it.
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (hub.call("GET", "/hubsim/devices/dev1/messages").body["expired"] != 1 &&
           std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(50ms);
    }
    CHECK(hub.call("GET", "/hubsim/devices/dev1/messages").body["expired"] == 1);
    auto device = hub.subscribed_device("dev1", {kC2dFilter});
    auto message = device->next_publish();
    REQUIRE(message);
    CHECK(message->payload == "fresh");
    CHECK_FALSE(device->next_publish(300ms));
}

TEST_CASE("twin: GET, PATCH reported (204 + $version, null deletes), malformed JSON gets 400") {
    PluginBroker hub;
    auto device = hub.subscribed_device("dev1", {"$iothub/twin/res/#"});
    device->publish("$iothub/twin/GET/?$rid=1", " ", 0);
    auto got = device->next_publish();
    REQUIRE(got);
    CHECK(got->topic == "$iothub/twin/res/200/?$rid=1");
    auto twin = json::parse(got->payload);
    CHECK(twin["reported"]["$version"] == 1);
    CHECK(twin["desired"]["$version"] == 1);

    device->publish("$iothub/twin/PATCH/properties/reported/?$rid=2", R"({"fw":"1.0","temp":20})",
                    0);
    auto patched = device->next_publish();
    REQUIRE(patched);
    CHECK(patched->topic == "$iothub/twin/res/204/?$rid=2&$version=2");
    CHECK(patched->payload.empty());

    device->publish("$iothub/twin/PATCH/properties/reported/?$rid=3", R"({"temp":null})", 0);
    REQUIRE(device->next_publish());
    device->publish("$iothub/twin/GET/?$rid=4", "", 0);
    auto after = json::parse(device->next_publish()->payload);
    CHECK(after["reported"] == json{{"fw", "1.0"}, {"$version", 3}});

    device->publish("$iothub/twin/PATCH/properties/reported/?$rid=5", "{not json", 0);
    auto bad = device->next_publish();
    REQUIRE(bad);
    CHECK(bad->topic == "$iothub/twin/res/400/?$rid=5");
    auto error = json::parse(bad->payload);
    CHECK(error["errorCode"] == 400);
    CHECK(error["message"].is_string());

    auto service_view = hub.call("GET", "/twins/dev1?api-version=2021-04-12");
    CHECK(service_view.status == 200);
    CHECK(service_view.content_type.starts_with("application/json"));
    CHECK(service_view.body["properties"]["reported"]["fw"] == "1.0");
}

TEST_CASE("twin: operations answer 429 with a JSON body while the throttle fault is active") {
    PluginBroker hub;
    auto device = hub.subscribed_device("dev1", {"$iothub/twin/res/#"});
    REQUIRE(hub.call("PUT", "/hubsim/faults", {{"twinThrottleSeconds", 60}}).status == 200);
    device->publish("$iothub/twin/GET/?$rid=9", "", 0);
    auto answer = device->next_publish();
    REQUIRE(answer);
    CHECK(answer->topic == "$iothub/twin/res/429/?$rid=9");
    CHECK(json::parse(answer->payload)["errorCode"] == 429);
    CHECK(hub.call("GET", "/twins/dev1").status == 429);
}

TEST_CASE("twin: a desired patch is pushed to the subscribed device with $version in the body") {
    PluginBroker hub;
    auto device = hub.subscribed_device("dev1", {"$iothub/twin/PATCH/properties/desired/#"});
    auto patched = hub.call("PATCH", "/twins/dev1", {{"properties", {{"desired", {{"rate", 5}}}}}});
    REQUIRE(patched.status == 200);
    auto push = device->next_publish();
    REQUIRE(push);
    CHECK(push->topic == "$iothub/twin/PATCH/properties/desired/?$version=2");
    CHECK(json::parse(push->payload) == json{{"rate", 5}, {"$version", 2}});
    // A device that did not subscribe gets nothing.
    auto other = hub.connect_device("dev2");
    REQUIRE(
        hub.call("PATCH", "/twins/dev2", {{"properties", {{"desired", {{"rate", 1}}}}}}).status ==
        200);
    CHECK_FALSE(other->next_publish(300ms));
}

TEST_CASE("methods: request with a hub-chosen $rid, body null without payload, answer correlated") {
    PluginBroker hub;
    auto device = hub.subscribed_device("dev1", {"$iothub/methods/POST/#"});
    std::thread answerer([&] {
        auto request = device->next_publish();
        REQUIRE(request);
        CHECK(request->topic.starts_with("$iothub/methods/POST/reboot/?$rid="));
        CHECK(request->payload == "null");
        device->publish("$iothub/methods/res/200/?$rid=" + rid_of(request->topic), R"({"ok":true})",
                        0);
    });
    auto reply = hub.call("POST", "/twins/dev1/methods?api-version=2021-04-12",
                          {{"methodName", "reboot"}, {"responseTimeoutInSeconds", 10}});
    answerer.join();
    CHECK(reply.status == 200);
    CHECK(reply.body == json{{"status", 200}, {"payload", {{"ok", true}}}});
}

TEST_CASE(
    "methods: 404 when not connected or not subscribed, 504 when the device does not answer") {
    PluginBroker hub;
    auto call = [&](const std::string& id) {
        return hub.call(
            "POST", "/twins/" + id + "/methods",
            {{"methodName", "m"}, {"payload", {{"a", 1}}}, {"responseTimeoutInSeconds", 1}});
    };
    CHECK(call("dev1").status == 404);
    auto unsubscribed = hub.connect_device("dev1");
    auto not_subscribed = call("dev1");
    CHECK(not_subscribed.status == 404);
    CHECK(
        not_subscribed.body["Message"].get<std::string>().starts_with("ErrorCode:DeviceNotOnline"));
    auto silent = hub.subscribed_device("dev2", {"$iothub/methods/POST/#"});
    CHECK(call("dev2").status == 504);
    auto request = silent->next_publish();
    REQUIRE(request);
    CHECK(request->payload == R"({"a":1})");
}

TEST_CASE(
    "subscriptions survive a CleanSession=0 reconnect (token renewal without resubscribing)") {
    PluginBroker hub;
    hub.subscribed_device("dev1", {"$iothub/methods/POST/#"}, false)->disconnect();
    REQUIRE(hub.wait_for_event("dev1", "disconnect"));
    auto device = hub.connect_device("dev1", false);
    std::thread answerer([&] {
        auto request = device->next_publish();
        REQUIRE(request);
        device->publish("$iothub/methods/res/201/?$rid=" + rid_of(request->topic), "", 0);
    });
    auto reply = hub.call("POST", "/twins/dev1/methods",
                          {{"methodName", "ping"}, {"responseTimeoutInSeconds", 10}});
    answerer.join();
    CHECK(reply.status == 200);
    CHECK(reply.body == json{{"status", 201}, {"payload", nullptr}});
}
