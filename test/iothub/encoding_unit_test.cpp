#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "hubgate/iothub/sas_token.hpp"

using namespace hubgate::iothub;

TEST_CASE("url_encode keeps only RFC 3986 unreserved characters") {
    struct Row {
        std::string in, out;
    };
    for (const auto& row : std::vector<Row>{
             {"abcXYZ019-._~", "abcXYZ019-._~"},
             {"hub.azure-devices.net/devices/d1", "hub.azure-devices.net%2Fdevices%2Fd1"},
             {"a b&c=d%e", "a%20b%26c%3Dd%25e"},
             {"\xC3\xA9", "%C3%A9"},
             {"", ""},
         }) {
        CAPTURE(row.in);
        CHECK(url_encode(row.in) == row.out);
        CHECK(url_decode(row.out) == row.in);
    }
}

TEST_CASE("url_decode rejects truncated or non-hex escapes") {
    CHECK_FALSE(url_decode("%").has_value());
    CHECK_FALSE(url_decode("abc%4").has_value());
    CHECK_FALSE(url_decode("%zz").has_value());
    CHECK(url_decode("a+b") == std::string("a+b"));
    CHECK(url_decode("a+b", true) == std::string("a b"));
}

TEST_CASE("base64 round trips and rejects malformed input") {
    for (std::string bytes : {std::string(""), std::string("f"), std::string("fo"),
                              std::string("foo"), std::string("\0\xff\x10", 3)}) {
        auto encoded = base64_encode(bytes);
        if (bytes.empty()) {
            CHECK(encoded.empty());
            continue;
        }
        CHECK(base64_decode(encoded) == bytes);
    }
    CHECK(base64_encode("foob") == "Zm9vYg==");
    for (const char* bad : {"", "abc", "ab!d", "Zm9v YmFy", "Zg==Zg==", "=Zm9", "Zm9vYg=a"}) {
        CAPTURE(bad);
        CHECK_FALSE(base64_decode(bad).has_value());
    }
}

TEST_CASE("hmac_sha256 matches RFC 4231 test case 2") {
    auto mac = hmac_sha256("Jefe", "what do ya want for nothing?");
    static const unsigned char expected[] = {0x5b, 0xdc, 0xc1, 0x46, 0xbf, 0x60, 0x75, 0x4e,
                                             0x6a, 0x04, 0x24, 0x26, 0x08, 0x95, 0x75, 0xc7,
                                             0x5a, 0x00, 0x3f, 0x08, 0x9d, 0x27, 0x39, 0x83,
                                             0x9d, 0xec, 0x58, 0xb9, 0x64, 0xec, 0x38, 0x43};
    CHECK(mac == std::string(reinterpret_cast<const char*>(expected), sizeof expected));
}
