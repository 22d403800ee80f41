#pragma once
// A local topic pattern: MQTT levels where a level is literal text, `+`, `#` (last level only),
// a named capture `{name}` (one non-empty level) or a tail capture `{name...}` (last level only;
// one or more non-empty levels, joined with '/'). Nothing else is special: '.', '*', '(' etc.
// are literal.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "hubgate/mappings/route.hpp"

namespace hubgate::mappings {

// Why a pattern does not compile; `offset` is the byte offset in the pattern text.
struct PatternError {
    std::size_t offset = 0;
    std::string message;
};

// A compiled topic pattern.
class TopicPattern {
  public:
    enum class LevelKind : std::uint8_t {
        literal,
        single_wildcard,  // +
        capture,          // {name}
        multi_wildcard,   // #: zero or more levels
        tail_capture,     // {name...}: one or more levels
    };
    struct Level {
        LevelKind kind;
        std::string text;  // literal text, or the capture name
    };

    static std::variant<TopicPattern, PatternError> compile(std::string_view text);

    // Matches a concrete topic (no wildcards); on success appends the captures to `out`
    // (when not null) in pattern order.
    bool match(std::string_view topic, Captures* out = nullptr) const;

    // Whether some topic matches both patterns.
    bool overlaps(const TopicPattern& other) const;

    // The MQTT subscription filter: captures become `+` / `#`.
    std::string mqtt_filter() const;

    const std::string& text() const { return text_; }
    const std::vector<Level>& levels() const { return levels_; }
    std::vector<std::string> capture_names() const;
    bool has_capture(std::string_view name) const;

  private:
    std::string text_;
    std::vector<Level> levels_;
};

// Whether a level is a single-level match of `kind` (+ or capture).
inline bool is_single_level(TopicPattern::LevelKind kind) {
    return kind == TopicPattern::LevelKind::single_wildcard ||
           kind == TopicPattern::LevelKind::capture;
}
inline bool is_multi_level(TopicPattern::LevelKind kind) {
    return kind == TopicPattern::LevelKind::multi_wildcard ||
           kind == TopicPattern::LevelKind::tail_capture;
}

}  // namespace hubgate::mappings
