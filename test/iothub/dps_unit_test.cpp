// The Device Provisioning Service's topics and symmetric-key credentials (iothub/src/dps_*.cpp).
#include <doctest/doctest.h>

#include "hubgate/iothub/dps_credentials.hpp"
#include "hubgate/iothub/dps_topics.hpp"
#include "hubgate/iothub/sas_token.hpp"

using namespace hubgate::iothub;

namespace {
const std::string kGroupKey = "kbbwk6MoamJYldA+HSnmfDk5vs4hRA5O7xh2jY3ERUU=";
}  // namespace

TEST_CASE("the device key is the base64 HMAC-SHA256 of the registration id under the group key") {
    // Cross-checked with Python: hmac.new(b64decode(group_key), b"sensor-7", sha256).
    CHECK(derive_device_key(kGroupKey, "sensor-7") ==
          "P3U8ypCLfJdYTh+MAUo0EOLbAnA4Jo3L+RJ+AjzzrA0=");
    CHECK_FALSE(derive_device_key("not base64!", "sensor-7"));
}

TEST_CASE("registration ids: alphanumeric and - . _ :, ending alphanumeric or '-', <= 128") {
    CHECK(valid_registration_id("sensor-7"));
    CHECK(valid_registration_id("Site_A.line:3-"));
    CHECK_FALSE(valid_registration_id(""));
    CHECK_FALSE(valid_registration_id("ends-with."));
    CHECK_FALSE(valid_registration_id("has space"));
    CHECK_FALSE(valid_registration_id("slash/inside"));
    CHECK(valid_registration_id(std::string(128, 'a')));
    CHECK_FALSE(valid_registration_id(std::string(129, 'a')));
}

TEST_CASE("the registration username and token: sr={scope}/registrations/{id}, skn=registration") {
    CHECK(dps_username("0ne0000A1B2", "sensor-7", "hubgate/1.2") ==
          "0ne0000A1B2/registrations/sensor-7/api-version=2019-03-31&ClientVersion=hubgate%2F1.2");
    const auto device_key = *derive_device_key(kGroupKey, "sensor-7");
    const auto token =
        make_registration_sas_token("0ne0000A1B2", "sensor-7", device_key, 1'800'000'000);
    const auto parsed = parse_sas_token(token);
    REQUIRE(parsed);
    CHECK(parsed->resource_uri == "0ne0000A1B2/registrations/sensor-7");
    CHECK(parsed->policy == "registration");
    CHECK(parsed->expiry == 1'800'000'000);
    CHECK(verify_sas_signature(*parsed, device_key));
    CHECK_FALSE(verify_sas_signature(*parsed, kGroupKey));
    CHECK_THROWS_AS(make_registration_sas_token("s", "d", "not base64!", 1), SasError);
}

TEST_CASE("DPS requests: register and poll with $rid, anything else is invalid") {
    auto r = classify_dps_publish("$dps/registrations/PUT/iotdps-register/?$rid=42");
    CHECK(r.kind == DpsRequestKind::register_device);
    CHECK(r.request_id == "42");
    r = classify_dps_publish(
        "$dps/registrations/GET/iotdps-get-operationstatus/?$rid=43&operationId=5.ab.cd");
    CHECK(r.kind == DpsRequestKind::operation_status);
    CHECK(r.operation_id == "5.ab.cd");
    CHECK(classify_dps_publish("$dps/registrations/PUT/iotdps-register/?x=1").error ==
          "missing $rid");
    CHECK(classify_dps_publish("$dps/registrations/GET/iotdps-get-operationstatus/?$rid=1").error ==
          "missing operationId");
    CHECK(classify_dps_publish("devices/x/messages/events/").kind == DpsRequestKind::invalid);
}

TEST_CASE("the device's requests parse back on the service side") {
    const auto reg = classify_dps_publish(dps_register_topic("a&b=c"));
    CHECK(reg.kind == DpsRequestKind::register_device);
    CHECK(reg.request_id == "a&b=c");
    const auto poll = classify_dps_publish(dps_operation_status_topic("7", "4.x&y"));
    CHECK(poll.kind == DpsRequestKind::operation_status);
    CHECK(poll.request_id == "7");
    CHECK(poll.operation_id == "4.x&y");
}

TEST_CASE("DPS answers: status, $rid and retry-after, built and parsed") {
    CHECK(dps_response_topic(202, "42", 3) == "$dps/registrations/res/202/?$rid=42&retry-after=3");
    CHECK(dps_response_topic(200, "42", std::nullopt) == "$dps/registrations/res/200/?$rid=42");
    auto answer = parse_dps_response_topic(dps_response_topic(429, "a b", 17));
    REQUIRE(answer);
    CHECK(answer->status == 429);
    CHECK(answer->request_id == "a b");
    CHECK(answer->retry_after_seconds == 17);
    answer = parse_dps_response_topic("$dps/registrations/res/200/?$rid=1");
    REQUIRE(answer);
    CHECK_FALSE(answer->retry_after_seconds);
    // A retry-after that is not a sane number of seconds is ignored, not honoured.
    for (const char* bad : {"-1", "x", "", "86401", "99999999999"}) {
        CAPTURE(bad);
        answer = parse_dps_response_topic(
            std::string("$dps/registrations/res/202/?$rid=1&retry-after=") + bad);
        REQUIRE(answer);
        CHECK_FALSE(answer->retry_after_seconds);
    }
    for (const char* bad :
         {"$dps/registrations/res/20/?$rid=1", "$dps/registrations/res/2000/?$rid=1",
          "$dps/registrations/res/2x0/?$rid=1", "$dps/registrations/res/200/?x=1",
          "$dps/registrations/res/200",
          "$dps/registrations/res/200/?$rid=", "$iothub/twin/res/200/?$rid=1"}) {
        CAPTURE(bad);
        CHECK_FALSE(parse_dps_response_topic(bad));
    }
}
