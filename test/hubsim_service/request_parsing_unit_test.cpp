// Request bodies and queries of the service API: what is accepted and what gets a 400.
#include <doctest/doctest.h>

#include "hubsim/service/request_parsing.hpp"

namespace {

using hubsim::json;

TEST_CASE("a full C2D request") {
    std::string error;
    const auto request =
        hubsim::parse_c2d_request(json{{"payload", "hi"},
                                       {"properties", {{"a", "1"}, {"b c", "x/y"}}},
                                       {"messageId", "m1"},
                                       {"correlationId", "c1"},
                                       {"ttlSeconds", 30}},
                                  error);
    REQUIRE(request);
    CHECK(error.empty());
    CHECK(request->payload == "hi");
    CHECK(request->properties.at("b c") == "x/y");
    CHECK(request->message_id == "m1");
    CHECK(request->correlation_id == "c1");
    CHECK(request->ttl == std::chrono::seconds(30));
}

TEST_CASE("a minimal C2D request leaves the optional parts empty") {
    std::string error;
    const auto request = hubsim::parse_c2d_request(json{{"payload", ""}}, error);
    REQUIRE(request);
    CHECK(request->properties.empty());
    CHECK_FALSE(request->message_id);
    CHECK_FALSE(request->ttl);
}

TEST_CASE("bad C2D requests are refused with a reason") {
    const std::pair<json, const char*> cases[] = {
        {json::array(), "object"},
        {json::object(), "payload"},
        {json{{"payload", 5}}, "payload"},
        {json{{"payload", "x"}, {"properties", {{"n", 1}}}}, "property 'n'"},
        {json{{"payload", "x"}, {"properties", "k=v"}}, "properties"},
        {json{{"payload", "x"}, {"messageId", 7}}, "messageId"},
        {json{{"payload", "x"}, {"correlationId", false}}, "correlationId"},
        {json{{"payload", "x"}, {"ttlSeconds", 0}}, "ttlSeconds"},
        {json{{"payload", "x"}, {"ttlSeconds", "10"}}, "ttlSeconds"},
        {json{{"payload", "x"}, {"ttl", 10}}, "unknown member 'ttl'"},
    };
    for (const auto& [body, reason] : cases) {
        CAPTURE(body.dump());
        std::string error;
        CHECK_FALSE(hubsim::parse_c2d_request(body, error));
        CHECK(error.find(reason) != std::string::npos);
    }
}

TEST_CASE("faults: members replace the current ones, others are kept") {
    hubsim::Faults current;
    current.puback_delay_ms = 5;
    std::string error;
    const auto faults = hubsim::parse_faults(
        json{{"twinThrottleSeconds", 3}, {"refuseConnects", true}, {"connectRate", 0.5}}, current,
        error);
    REQUIRE(faults);
    CHECK(faults->twin_throttle_seconds == 3);
    CHECK(faults->refuse_connects);
    CHECK(faults->connect_rate == doctest::Approx(0.5));
    CHECK(faults->puback_delay_ms == 5);
    CHECK(hubsim::faults_to_json(*faults) == json{{"twinThrottleSeconds", 3},
                                                  {"refuseConnects", true},
                                                  {"connectRate", 0.5},
                                                  {"pubackDelayMs", 5}});
}

TEST_CASE("bad faults are refused") {
    const json cases[] = {
        json::array(),
        json{{"twinThrottleSeconds", -1}},
        json{{"twinThrottleSeconds", 1.5}},
        json{{"pubackDelayMs", "10"}},
        json{{"refuseConnects", 1}},
        json{{"connectRate", -2}},
        json{{"connectRate", "fast"}},
        json{{"dropEverything", true}},
    };
    for (const auto& body : cases) {
        CAPTURE(body.dump());
        std::string error;
        CHECK_FALSE(hubsim::parse_faults(body, {}, error));
        CHECK_FALSE(error.empty());
    }
}

TEST_CASE("telemetry query: defaults, values, and refusals") {
    std::string error;
    auto query = hubsim::parse_telemetry_query(std::nullopt, std::nullopt, std::nullopt, error);
    REQUIRE(query);
    CHECK(query->after == 0);
    CHECK(query->wait.count() == 0);
    CHECK_FALSE(query->device);

    query = hubsim::parse_telemetry_query("17", "3", "dev1", error);
    REQUIRE(query);
    CHECK(query->after == 17);
    CHECK(query->wait == std::chrono::seconds(3));
    CHECK(query->device == "dev1");

    for (const auto& [after, wait] : std::vector<std::pair<std::string, std::string>>{
             {"-1", "0"}, {"x", "0"}, {"1", "1.5"}, {"1", "121"}, {"", "0"}, {"1", "-3"}}) {
        CAPTURE(after);
        CAPTURE(wait);
        error.clear();
        CHECK_FALSE(hubsim::parse_telemetry_query(after, wait, std::nullopt, error));
        CHECK_FALSE(error.empty());
    }
}

TEST_CASE("request bodies that are not JSON") {
    std::string error;
    CHECK_FALSE(hubsim::parse_json_body("{\"a\":", error));
    CHECK(error.find("not valid JSON") != std::string::npos);
    CHECK(hubsim::parse_json_body("{\"a\":1}", error)->at("a") == 1);
}

}  // namespace
