// What a connected device may publish and subscribe to, and how telemetry is recorded.
#include <doctest/doctest.h>

#include <mqtt/async_client.h>

#include "harness/process.hpp"
#include "plugin_broker.hpp"

using namespace hubsim::test;
using namespace std::chrono_literals;

namespace {

json telemetry_after(PluginBroker& hub, uint64_t after, const std::string& device = "dev1") {
    return hub
        .call("GET",
              "/hubsim/telemetry?after=" + std::to_string(after) + "&wait=10&device=" + device)
        .body;
}

void check_closed_for_violation(PluginBroker& hub, RawMqttClient& client, const std::string& why) {
    CHECK(client.wait_closed(5s));
    CHECK(hub.wait_for_event("dev1", "disconnect"));
    CHECK(hub.last_event("dev1", "disconnect")["reason"] == "violation: " + why);
}

}  // namespace

TEST_CASE("a QoS 2 publish closes the connection (broker max_qos 1)") {
    PluginBroker hub;
    auto device = hub.connect_device("dev1");
    device->publish("devices/dev1/messages/events/", "x", 2);
    CHECK(device->wait_closed(5s));
}

TEST_CASE("a QoS 2 publish closes the connection (the plugin's own rule, without max_qos)") {
    PluginBroker hub(PluginBroker::Options{.max_qos_1 = false});
    auto device = hub.connect_device("dev1");
    device->publish("devices/dev1/messages/events/", "x", 2);
    check_closed_for_violation(hub, *device, "QoS 2 is not supported");
}

TEST_CASE("publishing to another device's topic closes the connection") {
    PluginBroker hub;
    auto device = hub.connect_device("dev1");
    device->publish("devices/dev2/messages/events/", "x", 1);
    CHECK_FALSE(device->wait_puback());
    check_closed_for_violation(hub, *device, "topic of another device or undocumented");
}

TEST_CASE("publishing to an undocumented topic closes the connection") {
    PluginBroker hub;
    auto device = hub.connect_device("dev1");
    device->publish("plant/line1/temperature", "x", 0);
    check_closed_for_violation(hub, *device, "undocumented topic");
}

TEST_CASE(
    "subscriptions to undocumented filters are refused, documented ones granted at QoS 1 at most") {
    PluginBroker hub;
    auto device = hub.connect_device("dev1");
    auto granted = device->subscribe({{"devices/dev1/messages/devicebound/#", 2},
                                      {"$iothub/twin/res/#", 0},
                                      {"$iothub/methods/POST/#", 1},
                                      {"#", 1},
                                      {"devices/dev2/messages/devicebound/#", 1},
                                      {"devices/+/messages/devicebound/#", 1},
                                      {"$SYS/#", 0}});
    CHECK(granted == std::vector<int>{1, 0, 1, 0x80, 0x80, 0x80, 0x80});
    CHECK_FALSE(device->closed());
}

TEST_CASE("a message over 256 KB closes the connection, one within the limit is accepted") {
    PluginBroker hub;
    auto device = hub.connect_device("dev1");
    std::string topic = "devices/dev1/messages/events/";
    device->publish(topic, std::string(256 * 1024 - topic.size(), 'a'), 1);
    CHECK(device->wait_puback());
    device->publish(topic, std::string(256 * 1024, 'a'), 1);
    CHECK_FALSE(device->wait_puback());
    check_closed_for_violation(hub, *device, "message larger than 256 KB");
}

TEST_CASE("retained telemetry is recorded with x-opt-retain=true (mosquitto_pub)") {
    PluginBroker hub;
    auto result = hubgate::test::run({MOSQUITTO_PUB_EXECUTABLE,
                                      "-h",
                                      "127.0.0.1",
                                      "-p",
                                      std::to_string(hub.mqtt_port()),
                                      "--cafile",
                                      hub.ca_file(),
                                      "-V",
                                      "mqttv311",
                                      "-i",
                                      "dev1",
                                      "-u",
                                      PluginBroker::username("dev1"),
                                      "-P",
                                      hub.token("dev1"),
                                      "-q",
                                      "1",
                                      "-r",
                                      "-t",
                                      "devices/dev1/messages/events/",
                                      "-m",
                                      "kept"},
                                     20s);
    REQUIRE(result.status == 0);
    auto page = telemetry_after(hub, 0);
    REQUIRE(page["messages"].size() == 1);
    CHECK(page["messages"][0]["payload"] == "kept");
    CHECK(page["messages"][0]["properties"]["x-opt-retain"] == "true");
}

TEST_CASE("telemetry property bags are URL-decoded into system and application properties (Paho)") {
    PluginBroker hub;
    mqtt::async_client client("ssl://127.0.0.1:" + std::to_string(hub.mqtt_port()), "dev1",
                              mqtt::create_options(MQTTVERSION_3_1_1));
    auto options = mqtt::connect_options_builder()
                       .mqtt_version(MQTTVERSION_3_1_1)
                       .user_name(PluginBroker::username("dev1"))
                       .password(hub.token("dev1"))
                       .clean_session(false)
                       .ssl(mqtt::ssl_options_builder().trust_store(hub.ca_file()).finalize())
                       .finalize();
    client.connect(options)->wait();
    client
        .publish(
            "devices/dev1/messages/events/%24.mid=m-1&%24.ct=application%2Fjson&%24.ce=utf-8"
            "&site=north%20yard&path=a%2Fb",
            std::string(R"({"t":21.5})"), 1, false)
        ->wait();
    client.publish("devices/dev1/messages/events/", std::string("second"), 0, false)->wait();
    client.disconnect()->wait();

    auto page = telemetry_after(hub, 0);
    REQUIRE(page["messages"].size() >= 1);
    auto first = page["messages"][0];
    CHECK(first["deviceId"] == "dev1");
    CHECK(first["payload"] == R"({"t":21.5})");
    CHECK(first["systemProperties"] ==
          json{{"$.mid", "m-1"}, {"$.ct", "application/json"}, {"$.ce", "utf-8"}});
    CHECK(first["properties"] == json{{"site", "north yard"}, {"path", "a/b"}});
    CHECK(first["enqueuedTime"].get<std::string>().ends_with("Z"));
    uint64_t sequence = first["sequence"];
    auto next = telemetry_after(hub, sequence);
    REQUIRE(next["messages"].size() == 1);
    CHECK(next["messages"][0]["sequence"] == sequence + 1);
    CHECK(next["messages"][0]["payload"] == "second");
}
