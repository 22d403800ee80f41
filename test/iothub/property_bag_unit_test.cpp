#include <doctest/doctest.h>

// The one property-bag codec: what it writes for the hub, what it accepts from it.
#include "hubgate/iothub/property_bag.hpp"

using namespace hubgate::iothub;

namespace {

Properties decoded(std::string_view bag) {
    auto result = decode_property_bag(bag);
    INFO(std::string(bag));
    REQUIRE(result.has_value());
    return std::move(*result);
}

}  // namespace

TEST_CASE("property bags percent-encode what IoT Hub needs encoded") {
    struct Row {
        Properties properties;
        const char* bag;
    };
    const Row rows[] = {
        {{}, ""},
        {{{"site", "north"}}, "site=north"},
        {{{"a", "x/y"}, {"b", "p&q=r"}}, "a=x%2Fy&b=p%26q%3Dr"},
        {{{"pct", "100%"}, {"sp", "a b"}}, "pct=100%25&sp=a%20b"},
        {{{"name", "caf\xc3\xa9"}}, "name=caf%C3%A9"},
        {{{"plus", "a+b"}, {"q", "?#"}}, "plus=a%2Bb&q=%3F%23"},
        {{{"$.ct", "application/json"}, {"$.ce", "utf-8"}}, "$.ct=application%2Fjson&$.ce=utf-8"},
        {{{"iothub-creation-time-utc", "2026-11-26T11:31:23.123Z"}},
         "iothub-creation-time-utc=2026-11-26T11%3A31%3A23.123Z"},
        {{{"key with space", "v"}}, "key%20with%20space=v"},
    };
    for (const Row& row : rows) {
        INFO(std::string(row.bag));
        CHECK(encode_property_bag(row.properties) == row.bag);
        CHECK(decoded(row.bag) == row.properties);
    }
}

TEST_CASE("decoding accepts what the hub sends") {
    // A C2D topic tail as IoT Hub sends it: system names percent-encoded, lower-case hex too.
    const Properties expected = {
        {"$.mid", "m-1"}, {"$.to", "/devices/d1/messages/deviceBound"}, {"color", "bl ue"}};
    CHECK(decoded("%24.mid=m-1&%24.to=%2fdevices%2Fd1%2Fmessages%2FdeviceBound&color=bl%20ue") ==
          expected);
    CHECK(decoded("$rid=12&$version=3") == Properties{{"$rid", "12"}, {"$version", "3"}});
    CHECK(decoded("a&&b=") == Properties{{"a", ""}, {"b", ""}});
    CHECK(decoded("a=1=2") == Properties{{"a", "1=2"}});
    CHECK(decoded("plus=a+b") == Properties{{"plus", "a+b"}});
}

TEST_CASE("malformed property bags are errors, not crashes") {
    for (const char* bag : {"a=%", "a=%4", "a=%G0", "%zz=1", "=value", "%=x"}) {
        INFO(std::string(bag));
        CHECK_FALSE(decode_property_bag(bag).has_value());
    }
}

TEST_CASE("no value can inject a property or a system property") {
    const char* attacks[] = {
        "x&$.mid=forged", "x&iothub-ack=full",     "x=y&z=w", "%24.cid=1", "a%26b",
        "\xff\xfe&=",     "x\n$.to=/devices/other"};
    for (const char* attack : attacks) {
        INFO(std::string(attack));
        const Properties sent = {{"site", attack}};
        const Properties received = decoded(encode_property_bag(sent));
        CHECK(received == sent);
    }
    // An application name cannot turn into a system one either: its '$' is encoded.
    const Properties named = {{"$.mid", "real"}, {"x&$.mid", "v"}};
    CHECK(decoded(encode_property_bag(named)) == named);
    CHECK(encode_property_bag({{"a$b", "1"}}) == "a%24b=1");
}

TEST_CASE("system property names are classified") {
    CHECK(is_settable_system_property("$.ct"));
    CHECK(is_settable_system_property("iothub-creation-time-utc"));
    CHECK_FALSE(is_settable_system_property("$.to"));
    CHECK(is_reserved_property_name("$.to"));
    CHECK(is_reserved_property_name("iothub-ack"));
    CHECK_FALSE(is_reserved_property_name("site"));
}

TEST_CASE("a leading question mark belongs to the topic - not to the bag") {
    // Twin and method topics carry their query after "/?"; the topic parsers strip it. A bag
    // that starts with '?' (the hub would have escaped it) keeps it in the first name.
    CHECK(decoded("?a=1") == Properties{{"?a", "1"}});
}

TEST_CASE("the hub's style escapes every name - the device's keeps settable system names") {
    const Properties properties = {{"$.mid", "m 1"}, {"$.to", "/devices/d"}, {"k", "v"}};
    CHECK(encode_property_bag(properties) == "$.mid=m%201&%24.to=%2Fdevices%2Fd&k=v");
    CHECK(encode_property_bag(properties, SystemNames::escaped) ==
          "%24.mid=m%201&%24.to=%2Fdevices%2Fd&k=v");
    CHECK(decoded(encode_property_bag(properties, SystemNames::escaped)) == properties);
}

TEST_CASE("the size of a bag is known before it is written") {
    const Properties properties = {
        {"$.ct", "application/json"}, {"s e", "caf\xc3\xa9&"}, {"e", ""}};
    for (const auto style : {SystemNames::literal, SystemNames::escaped}) {
        CHECK(property_bag_size(properties, style) ==
              encode_property_bag(properties, style).size());
    }
    CHECK(property_bag_size({}) == 0);
    std::string out = "prefix/";
    append_property_bag(out, properties);
    CHECK(out == "prefix/" + encode_property_bag(properties));
}

TEST_CASE("find_property gives the first value of a name") {
    const Properties query = {{"$rid", "1"}, {"$version", "2"}, {"$rid", "3"}};
    CHECK(find_property(query, "$rid") == "1");
    CHECK_FALSE(find_property(query, "$.mid").has_value());
}
