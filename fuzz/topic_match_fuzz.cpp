// Matches topics against patterns: input is "pattern\ntopic". A match's captures are never
// empty, a tail capture has no empty level, and a matching topic also matches the pattern's
// MQTT filter compiled as a pattern.

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <variant>

#include "fuzz_check.hpp"
#include "hubgate/mappings/topic_pattern.hpp"

using hubgate::mappings::Captures;
using hubgate::mappings::TopicPattern;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const std::size_t newline = input.find('\n');
    if (newline == std::string_view::npos)
        return 0;
    const std::string_view pattern_text = input.substr(0, newline);
    const std::string_view topic = input.substr(newline + 1);
    auto compiled = TopicPattern::compile(pattern_text);
    if (!std::holds_alternative<TopicPattern>(compiled))
        return 0;
    const TopicPattern& pattern = std::get<TopicPattern>(compiled);

    Captures captures;
    const bool matched = pattern.match(topic, &captures);
    if (!matched) {
        FUZZ_CHECK(captures.empty());
        return 0;
    }
    FUZZ_CHECK(captures.size() == pattern.capture_names().size());
    for (const auto& capture : captures) {
        FUZZ_CHECK(!capture.value.empty());
        FUZZ_CHECK(capture.value.find("//") == std::string::npos);
        FUZZ_CHECK(pattern.has_capture(capture.name));
    }
    auto filter = TopicPattern::compile(pattern.mqtt_filter());
    FUZZ_CHECK(std::holds_alternative<TopicPattern>(filter));
    FUZZ_CHECK(std::get<TopicPattern>(filter).match(topic));
    FUZZ_CHECK(std::get<TopicPattern>(filter).overlaps(pattern));
    return 0;
}
