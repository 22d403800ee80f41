// Compiles arbitrary bytes as a topic pattern; a compiled pattern's filter and captures must be
// consistent with its levels, and it must overlap itself.

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <variant>

#include "fuzz_check.hpp"
#include "hubgate/mappings/topic_pattern.hpp"

using hubgate::mappings::PatternError;
using hubgate::mappings::TopicPattern;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto compiled = TopicPattern::compile(text);
    if (const auto* error = std::get_if<PatternError>(&compiled)) {
        FUZZ_CHECK(error->offset <= text.size());
        FUZZ_CHECK(!error->message.empty());
        return 0;
    }
    const TopicPattern& pattern = std::get<TopicPattern>(compiled);
    FUZZ_CHECK(pattern.text() == text);
    FUZZ_CHECK(!pattern.levels().empty());
    const std::string filter = pattern.mqtt_filter();
    FUZZ_CHECK(filter.find_first_of("{}") == std::string::npos);
    for (const std::string& name : pattern.capture_names()) {
        FUZZ_CHECK(pattern.has_capture(name));
    }
    // A pattern made only of literal levels and '+' matches its own filter-free text.
    bool literal_only = true;
    for (const auto& level : pattern.levels()) {
        literal_only = literal_only && level.kind == TopicPattern::LevelKind::literal;
    }
    if (literal_only) {
        FUZZ_CHECK(pattern.match(text));
        FUZZ_CHECK(pattern.overlaps(pattern));
    }
    return 0;
}
