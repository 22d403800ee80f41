// The IoT Hub library's topics (iothub/src/*_topics.cpp): the parser of what the hub delivers and
// the builders on both sides. Input is "topic\nvalue". The topic, as is and behind each downlink
// prefix, is classified without a crash; `value` as a request id, a method name or a property
// name or value survives building and parsing unchanged, and never adds a '#' or '+' or a
// property to a topic.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "fuzz_check.hpp"
#include "hubgate/iothub/device_topics.hpp"
#include "hubgate/iothub/hub_topics.hpp"

using namespace hubgate::iothub;

namespace {

constexpr std::string_view kDevice = "dev-1";

void classify(std::string_view topic) {
    const auto parsed = parse_downlink_topic(kDevice, topic);
    if (const auto* method = std::get_if<MethodRequestTopic>(&parsed)) {
        FUZZ_CHECK(!method->name.empty());
        FUZZ_CHECK(method->name.find("/?") == std::string::npos);
    }
}

std::string query_of(const std::string& topic) {
    const auto at = topic.find("/?");
    FUZZ_CHECK(at != std::string::npos);
    return topic.substr(at + 2);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const std::size_t newline = input.find('\n');
    const std::string_view topic = input.substr(0, newline);
    const std::string value(newline == std::string_view::npos ? std::string_view{}
                                                              : input.substr(newline + 1));

    classify(topic);
    for (const char* prefix : {"$iothub/twin/res/", "$iothub/twin/PATCH/properties/desired/",
                               "$iothub/methods/POST/", "devices/dev-1/messages/devicebound/"}) {
        classify(std::string(prefix) + std::string(topic));
    }

    // A request id goes into the twin topics encoded: it comes back as the one $rid.
    const auto rid_query = decode_property_bag(query_of(twin_get_topic(value)));
    FUZZ_CHECK(rid_query.has_value());
    FUZZ_CHECK(*rid_query == (Properties{{"$rid", value}}));
    FUZZ_CHECK(twin_patch_reported_topic(value).find_first_of("#+") == std::string::npos);

    // A twin answer and a method call as the hub writes them parse back to the same values.
    const auto answer = parse_downlink_topic(kDevice, twin_response_topic(204, value, 7));
    FUZZ_CHECK(std::holds_alternative<TwinResponseTopic>(answer));
    FUZZ_CHECK(std::get<TwinResponseTopic>(answer).rid == value);
    FUZZ_CHECK(std::get<TwinResponseTopic>(answer).version == 7);
    if (!value.empty() && value.find("/?") == std::string::npos) {
        const auto call = parse_downlink_topic(kDevice, method_request_topic(value, value));
        FUZZ_CHECK(std::holds_alternative<MethodRequestTopic>(call));
        FUZZ_CHECK(std::get<MethodRequestTopic>(call).name == value);
        FUZZ_CHECK(std::get<MethodRequestTopic>(call).rid == value);
    }

    // Telemetry properties: encoded, so the topic has no wildcard and decodes to what was given
    // (a property needs a name: an empty one is not a property the decoder accepts).
    Properties properties = {{"name", value}, {"$.ct", value}};
    if (!value.empty()) {
        properties.emplace_back(value, "v");
    }
    const std::string telemetry = telemetry_topic(kDevice, properties);
    FUZZ_CHECK(telemetry.find_first_of("#+") == std::string::npos);
    constexpr std::string_view kEvents = "devices/dev-1/messages/events/";
    FUZZ_CHECK(telemetry.starts_with(kEvents));
    const auto decoded = decode_property_bag(std::string_view(telemetry).substr(kEvents.size()));
    FUZZ_CHECK(decoded.has_value());
    FUZZ_CHECK(*decoded == properties);

    // A C2D message as the hub writes it parses back to its properties.
    const auto c2d = parse_downlink_topic(kDevice, c2d_topic(kDevice, properties));
    FUZZ_CHECK(std::holds_alternative<C2dTopic>(c2d));
    FUZZ_CHECK(std::get<C2dTopic>(c2d).properties == properties);
    return 0;
}
