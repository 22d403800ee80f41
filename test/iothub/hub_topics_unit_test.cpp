// What IoT Hub delivers to a device: built (hubsim) and parsed (sessions) by the same library.
#include <doctest/doctest.h>

#include <variant>

#include "hubgate/iothub/hub_topics.hpp"

using namespace hubgate::iothub;

TEST_CASE("downlink topics are built as the hub writes them") {
    CHECK(twin_response_topic(204, "r 1", 5) == "$iothub/twin/res/204/?$rid=r%201&$version=5");
    CHECK(twin_response_topic(200, "1", std::nullopt) == "$iothub/twin/res/200/?$rid=1");
    CHECK(desired_patch_topic(3) == "$iothub/twin/PATCH/properties/desired/?$version=3");
    CHECK(method_request_topic("reboot", "9") == "$iothub/methods/POST/reboot/?$rid=9");
    // The hub escapes the '$' of system names in a C2D bag, and the '/' SDKs would split on.
    CHECK(c2d_topic("d", {{"$.mid", "m1"}, {"$.to", "/devices/d"}, {"k", "v"}}) ==
          "devices/d/messages/devicebound/%24.mid=m1&%24.to=%2Fdevices%2Fd&k=v");
    CHECK(c2d_topic("d", {}) == "devices/d/messages/devicebound/");
}

TEST_CASE("downlink topics are classified") {
    const auto twin = parse_downlink_topic("d", "$iothub/twin/res/204/?$rid=5&$version=12");
    REQUIRE(std::holds_alternative<TwinResponseTopic>(twin));
    CHECK(std::get<TwinResponseTopic>(twin).status == 204);
    CHECK(std::get<TwinResponseTopic>(twin).rid == "5");
    CHECK(std::get<TwinResponseTopic>(twin).version == 12);

    const auto desired =
        parse_downlink_topic("d", "$iothub/twin/PATCH/properties/desired/?$version=3");
    REQUIRE(std::holds_alternative<DesiredPatchTopic>(desired));
    CHECK(std::get<DesiredPatchTopic>(desired).version == 3);

    const auto method = parse_downlink_topic("d", "$iothub/methods/POST/reboot/?$rid=1a");
    REQUIRE(std::holds_alternative<MethodRequestTopic>(method));
    CHECK(std::get<MethodRequestTopic>(method).name == "reboot");
    CHECK(std::get<MethodRequestTopic>(method).rid == "1a");

    const auto c2d = parse_downlink_topic(
        "d", "devices/d/messages/devicebound/%24.mid=m1&%24.to=%2Fdevices%2Fd&k=v");
    REQUIRE(std::holds_alternative<C2dTopic>(c2d));
    CHECK(std::get<C2dTopic>(c2d).properties ==
          Properties{{"$.mid", "m1"}, {"$.to", "/devices/d"}, {"k", "v"}});
}

TEST_CASE("what the library builds it parses back") {
    const Properties properties = {{"$.mid", "m/1"}, {"name with space", "x%y"}, {"empty", ""}};
    const auto c2d = parse_downlink_topic("dev-1", c2d_topic("dev-1", properties));
    REQUIRE(std::holds_alternative<C2dTopic>(c2d));
    CHECK(std::get<C2dTopic>(c2d).properties == properties);

    const auto twin = parse_downlink_topic("d", twin_response_topic(429, "r&1=2", 7));
    REQUIRE(std::holds_alternative<TwinResponseTopic>(twin));
    CHECK(std::get<TwinResponseTopic>(twin).rid == "r&1=2");
    CHECK(std::get<TwinResponseTopic>(twin).status == 429);
    CHECK(std::get<TwinResponseTopic>(twin).version == 7);

    const auto method = parse_downlink_topic("d", method_request_topic("m", "a b"));
    REQUIRE(std::holds_alternative<MethodRequestTopic>(method));
    CHECK(std::get<MethodRequestTopic>(method).rid == "a b");
}

TEST_CASE("malformed or foreign downlink topics are unknown - with a reason") {
    for (const char* topic :
         {"$iothub/twin/res/abc/?$rid=1", "$iothub/twin/res/200/?x=1",
          "$iothub/methods/POST//?$rid=1", "$iothub/methods/POST/m/?x=1",
          "devices/other/messages/devicebound/", "devices/dx/messages/devicebound/", "random/topic",
          "devices/d/messages/devicebound/a=%g1",
          // A property without a name: no SDK can represent it, so the bag is malformed.
          "devices/d/messages/devicebound/=v", "$iothub/twin/res/200/?$rid=1&=2"}) {
        CAPTURE(topic);
        const auto parsed = parse_downlink_topic("d", topic);
        REQUIRE(std::holds_alternative<UnknownTopic>(parsed));
        CHECK_FALSE(std::get<UnknownTopic>(parsed).reason.empty());
    }
}

TEST_CASE("a $version that is not an integer is left out") {
    const auto twin = parse_downlink_topic("d", "$iothub/twin/res/204/?$rid=5&$version=x");
    REQUIRE(std::holds_alternative<TwinResponseTopic>(twin));
    CHECK_FALSE(std::get<TwinResponseTopic>(twin).version.has_value());
}
