#include <doctest/doctest.h>

#include "hubgate/iothub/sas_token.hpp"

using namespace hubgate::iothub;

namespace {
const std::string kKey = base64_encode("0123456789abcdef0123456789abcdef");
const std::string kOtherKey = base64_encode("fedcba9876543210fedcba9876543210");

SasTokenSpec device_spec() {
    SasTokenSpec spec;
    spec.resource_uri = device_resource_uri("myhub.azure-devices.net", "dev 1/α");
    spec.key_base64 = kKey;
    spec.expiry = 1900000000;
    return spec;
}
}  // namespace

TEST_CASE("a device token has sr, sig and se, and no skn") {
    auto token = make_sas_token(device_spec());
    CHECK(token.starts_with(
        "SharedAccessSignature sr=myhub.azure-devices.net%2Fdevices%2Fdev%201%2F%CE%B1&sig="));
    CHECK(token.ends_with("&se=1900000000"));
    CHECK(token.find("skn=") == std::string::npos);
}

TEST_CASE("a policy token carries skn") {
    auto spec = device_spec();
    spec.policy = "device";
    auto token = make_sas_token(spec);
    CHECK(token.ends_with("&se=1900000000&skn=device"));
}

TEST_CASE("an invalid base64 key is a clear error") {
    auto spec = device_spec();
    spec.key_base64 = "not base64!";
    CHECK_THROWS_WITH_AS(make_sas_token(spec), "key is not valid base64", SasError);
}

TEST_CASE("parse and verify round trip - any change breaks verification") {
    auto spec = device_spec();
    spec.policy = "device";
    auto token = make_sas_token(spec);
    auto parsed = parse_sas_token(token);
    REQUIRE(parsed.has_value());
    CHECK(parsed->resource_uri == spec.resource_uri);
    CHECK(parsed->expiry == spec.expiry);
    CHECK(parsed->policy == std::optional<std::string>("device"));
    CHECK(verify_sas_signature(*parsed, kKey));
    CHECK_FALSE(verify_sas_signature(*parsed, kOtherKey));
    CHECK_FALSE(verify_sas_signature(*parsed, "garbage"));

    auto later = *parsed;
    later.expiry += 1;
    CHECK_FALSE(verify_sas_signature(later, kKey));
    auto other_device = *parsed;
    other_device.resource_uri_encoded = url_encode("myhub.azure-devices.net/devices/dev2");
    CHECK_FALSE(verify_sas_signature(other_device, kKey));
}

TEST_CASE("fields parse in any order") {
    auto token = make_sas_token(device_spec());
    auto parsed = parse_sas_token(token);
    REQUIRE(parsed);
    std::string reordered = "SharedAccessSignature se=" + std::to_string(parsed->expiry) +
                            "&sig=" + url_encode(parsed->signature) +
                            "&sr=" + parsed->resource_uri_encoded;
    auto again = parse_sas_token(reordered);
    REQUIRE(again);
    CHECK(verify_sas_signature(*again, kKey));
}

TEST_CASE("malformed tokens do not parse") {
    for (const char* bad :
         {"", "sr=a&sig=b&se=1", "SharedAccessSignature sr=a&sig=b",
          "SharedAccessSignature sr=a&sig=b&se=x1", "SharedAccessSignature sr=a&sig=b&se=1&se=2",
          "SharedAccessSignature sr=a&sig=%zz&se=1",
          "SharedAccessSignature sr=a&sig=b&se=1&extra=1"}) {
        CAPTURE(bad);
        CHECK_FALSE(parse_sas_token(bad).has_value());
    }
}

TEST_CASE("redaction drops the signature and anything unknown") {
    auto spec = device_spec();
    spec.policy = "device";
    auto token = make_sas_token(spec);
    auto parsed = parse_sas_token(token);
    REQUIRE(parsed);
    auto redacted = redact_sas_token(token);
    CHECK(redacted.find(url_encode(parsed->signature)) == std::string::npos);
    CHECK(redacted.find("sig") == std::string::npos);
    CHECK(redacted.find("se=1900000000") != std::string::npos);
    CHECK(redacted.find("skn=device") != std::string::npos);
    CHECK(redact_sas_token("SharedAccessSignature sr=a&SIG=secret&se=1").find("secret") ==
          std::string::npos);
    CHECK(redact_sas_token("password123") == "<not a SAS token>");
}
