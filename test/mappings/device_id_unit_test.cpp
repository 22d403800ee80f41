#include <doctest/doctest.h>

#include "hubgate/mappings/device_id.hpp"

using namespace hubgate::mappings;

TEST_CASE("device ids follow IoT Hub's character set and length") {
    CHECK(is_valid_device_id("sensor-1"));
    CHECK(is_valid_device_id("a-.%_*?!(),:=@$'Z9"));
    CHECK(is_valid_device_id(std::string(128, 'a')));
    CHECK_FALSE(is_valid_device_id(std::string(129, 'a')));
    CHECK_FALSE(is_valid_device_id(""));
    const char* bad[] = {"a/b", "a b", "a#b", "a+b", "a&b",  "a\"b", "caf\xc3\xa9", "a\nb", "a~b",
                         "a{b", "a[b", "a;b", "a<b", "a\\b", "a^b",  "a|b",         "a`b"};
    for (const char* id : bad) {
        INFO(std::string(id));
        CHECK_FALSE(is_valid_device_id(id));
    }
    CHECK(device_id_error("ab/c")->find("'/' at offset 2") != std::string::npos);
    CHECK(device_id_error("a\xc3")->find("0xC3") != std::string::npos);
}
