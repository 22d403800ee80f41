// What a device sends to IoT Hub: user name, telemetry, twin and method-reply topics.
#include <doctest/doctest.h>

#include "hubgate/iothub/device_topics.hpp"

using namespace hubgate::iothub;

TEST_CASE("telemetry topics carry the property bag - system names as the SDKs write them") {
    CHECK(telemetry_topic("dev1", {}) == "devices/dev1/messages/events/");
    CHECK(telemetry_topic("dev1", {{"k", "v"}}) == "devices/dev1/messages/events/k=v");
    CHECK(telemetry_topic("dev1", {{"$.ct", "application/json"}, {"s e", "a b&c=d"}}) ==
          "devices/dev1/messages/events/$.ct=application%2Fjson&s%20e=a%20b%26c%3Dd");
    // Only the settable system names are written literally: anything else that starts with '$'
    // is escaped, so it reaches the hub as the application property it was.
    CHECK(telemetry_topic("d", {{"$.to", "x"}, {"$x", "y"}}) ==
          "devices/d/messages/events/%24.to=x&%24x=y");
}

TEST_CASE("a telemetry topic can be appended or built from a bag already encoded") {
    const Properties properties = {{"$.mid", "m-1"}, {"site", "north/2"}};
    std::string out = "x";
    append_telemetry_topic(out, "dev1", properties);
    CHECK(out == "x" + telemetry_topic("dev1", properties));
    CHECK(telemetry_topic_with_bag("dev1", encode_property_bag(properties)) ==
          telemetry_topic("dev1", properties));
}

TEST_CASE("a telemetry topic takes the message id after the properties - unless they carry one") {
    CHECK(telemetry_topic("dev1", {}, "m 1") == "devices/dev1/messages/events/$.mid=m%201");
    CHECK(telemetry_topic("dev1", {{"k", "v"}}, "m-1") ==
          "devices/dev1/messages/events/k=v&$.mid=m-1");
    // The same topic as the id carried as the last property.
    CHECK(telemetry_topic("dev1", {{"$.ct", "a/b"}}, "m-1") ==
          telemetry_topic("dev1", {{"$.ct", "a/b"}, {"$.mid", "m-1"}}));
    // The mapping's own $.mid wins; no id adds nothing.
    CHECK(telemetry_topic("dev1", {{"$.mid", "own"}}, "m-1") ==
          "devices/dev1/messages/events/$.mid=own");
    CHECK(telemetry_topic("dev1", {{"k", "v"}}, "") == telemetry_topic("dev1", {{"k", "v"}}));
}

TEST_CASE("twin and method topics percent-encode the request id") {
    CHECK(twin_get_topic("7") == "$iothub/twin/GET/?$rid=7");
    CHECK(twin_patch_reported_topic("8") == "$iothub/twin/PATCH/properties/reported/?$rid=8");
    CHECK(method_response_topic(504, "abc") == "$iothub/methods/res/504/?$rid=abc");
    CHECK(method_response_topic(200, "a b&c") == "$iothub/methods/res/200/?$rid=a%20b%26c");
    CHECK(twin_get_topic("{rid}") == "$iothub/twin/GET/?$rid=%7Brid%7D");
}

TEST_CASE("subscription filters") {
    CHECK(c2d_filter("d") == "devices/d/messages/devicebound/#");
    CHECK(kTwinResponseFilter == "$iothub/twin/res/#");
    CHECK(kDesiredPatchFilter == "$iothub/twin/PATCH/properties/desired/#");
    CHECK(kMethodRequestFilter == "$iothub/methods/POST/#");
}

TEST_CASE("username carries the api-version and an optional model id") {
    CHECK(mqtt_username("hub.example", "dev1", "2021-04-12", "") ==
          "hub.example/dev1/?api-version=2021-04-12");
    CHECK(mqtt_username("hub.example", "dev1", "2021-04-12", "dtmi:com:example:x;1") ==
          "hub.example/dev1/?api-version=2021-04-12&model-id=dtmi:com:example:x;1");
}
