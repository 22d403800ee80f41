// The DPS topics (iothub/src/dps_topics.cpp). Input is "topic\nvalue". The topic, as is and behind
// the answer prefix, is parsed without a crash and any status it yields has three digits; `value`
// as a request id or operation id survives building and parsing unchanged and never adds a '#' or
// '+' to a topic.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "hubgate/iothub/dps_topics.hpp"

using namespace hubgate::iothub;

namespace {

void parse(std::string_view topic) {
    const auto answer = parse_dps_response_topic(topic);
    if (answer) {
        FUZZ_CHECK(answer->status >= 0 && answer->status <= 999);
        FUZZ_CHECK(!answer->request_id.empty());
        FUZZ_CHECK(!answer->retry_after_seconds ||
                   (*answer->retry_after_seconds >= 0 && *answer->retry_after_seconds <= 86400));
    }
    (void)classify_dps_publish(topic);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const std::size_t newline = input.find('\n');
    const std::string_view topic = input.substr(0, newline);
    const std::string value(newline == std::string_view::npos ? std::string_view{}
                                                              : input.substr(newline + 1));

    parse(topic);
    parse(std::string("$dps/registrations/res/") + std::string(topic));
    parse(std::string("$dps/registrations/res/200/?") + std::string(topic));

    if (value.empty())
        return 0;  // an empty $rid is not a request id
    const auto answer = parse_dps_response_topic(dps_response_topic(202, value, 3));
    FUZZ_CHECK(answer.has_value());
    FUZZ_CHECK(answer->status == 202);
    FUZZ_CHECK(answer->request_id == value);
    FUZZ_CHECK(answer->retry_after_seconds == 3);

    const std::string reg_topic = dps_register_topic(value);
    FUZZ_CHECK(reg_topic.find_first_of("#+") == std::string::npos);
    const auto reg = classify_dps_publish(reg_topic);
    FUZZ_CHECK(reg.kind == DpsRequestKind::register_device);
    FUZZ_CHECK(reg.request_id == value);

    const std::string poll_topic = dps_operation_status_topic(value, value);
    FUZZ_CHECK(poll_topic.find_first_of("#+") == std::string::npos);
    const auto poll = classify_dps_publish(poll_topic);
    FUZZ_CHECK(poll.kind == DpsRequestKind::operation_status);
    FUZZ_CHECK(poll.request_id == value);
    FUZZ_CHECK(poll.operation_id == value);
    return 0;
}
