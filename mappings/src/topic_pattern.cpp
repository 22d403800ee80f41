#include "hubgate/mappings/topic_pattern.hpp"

#include <algorithm>

#include "placeholder_names.hpp"

namespace hubgate::mappings {

namespace {

constexpr std::string_view kTailSuffix = "...";

std::variant<TopicPattern::Level, PatternError> parse_level(std::string_view level,
                                                            std::size_t offset, bool is_last) {
    using Kind = TopicPattern::LevelKind;
    if (level == "+") {
        return TopicPattern::Level{Kind::single_wildcard, ""};
    }
    if (level == "#") {
        if (!is_last) {
            return PatternError{offset, "'#' must be the last level"};
        }
        return TopicPattern::Level{Kind::multi_wildcard, ""};
    }
    const bool opens = level.starts_with('{');
    if (!opens) {
        const std::size_t bad = level.find_first_of("+#{}");
        if (bad != std::string_view::npos) {
            return PatternError{offset + bad, std::string("'") + level[bad] +
                                                  "' must fill a whole level ('+', '#', "
                                                  "'{name}' or '{name...}')"};
        }
        return TopicPattern::Level{Kind::literal, std::string(level)};
    }
    if (!level.ends_with('}') || level.size() < 2) {
        return PatternError{offset, "a capture must fill a whole level: '{name}' or '{name...}'"};
    }
    std::string_view name = level.substr(1, level.size() - 2);
    Kind kind = Kind::capture;
    if (name.ends_with(kTailSuffix)) {
        name.remove_suffix(kTailSuffix.size());
        kind = Kind::tail_capture;
        if (!is_last) {
            return PatternError{
                offset, "tail capture '{" + std::string(name) + "...}' must be the last level"};
        }
    }
    if (name.empty()) {
        return PatternError{offset + 1, "capture without a name"};
    }
    for (std::size_t k = 0; k < name.size(); ++k) {
        if (!is_name_char(name[k], k == 0)) {
            return PatternError{offset + 1 + k, "capture name '" + std::string(name) +
                                                    "' must be letters, digits and '_'"};
        }
    }
    return TopicPattern::Level{kind, std::string(name)};
}

// Whether a topic level can be taken by a pattern level.
bool level_accepts(const TopicPattern::Level& level, std::string_view topic_level) {
    switch (level.kind) {
        case TopicPattern::LevelKind::literal:
            return level.text == topic_level;
        case TopicPattern::LevelKind::single_wildcard:
            return true;
        case TopicPattern::LevelKind::capture:
            return !topic_level.empty();
        default:
            return false;
    }
}

using Levels = std::vector<TopicPattern::Level>;

// Whether levels a[i..] and b[j..] can match one same topic.
bool overlap_from(const Levels& a, std::size_t i, const Levels& b, std::size_t j) {
    using Kind = TopicPattern::LevelKind;
    for (;;) {
        const bool a_done = i == a.size();
        const bool b_done = j == b.size();
        if (a_done && b_done) {
            return true;
        }
        if (!a_done && is_multi_level(a[i].kind)) {
            // b's rest is some non-negative number of levels; a tail capture needs at least one
            // and cannot take an empty literal level.
            if (a[i].kind == Kind::tail_capture) {
                if (b_done) {
                    return false;
                }
                for (std::size_t k = j; k < b.size(); ++k) {
                    if (b[k].kind == Kind::literal && b[k].text.empty()) {
                        return false;
                    }
                }
            }
            return true;
        }
        if (!b_done && is_multi_level(b[j].kind)) {
            return overlap_from(b, j, a, i);
        }
        if (a_done || b_done) {
            return false;
        }
        const auto& x = a[i];
        const auto& y = b[j];
        if (x.kind == Kind::literal && y.kind == Kind::literal && x.text != y.text) {
            return false;
        }
        if (x.kind == Kind::literal && y.kind == Kind::capture && x.text.empty()) {
            return false;
        }
        if (y.kind == Kind::literal && x.kind == Kind::capture && y.text.empty()) {
            return false;
        }
        ++i;
        ++j;
    }
}

}  // namespace

std::variant<TopicPattern, PatternError> TopicPattern::compile(std::string_view text) {
    if (text.empty()) {
        return PatternError{0, "empty pattern"};
    }
    if (text.find('\0') != std::string_view::npos) {
        return PatternError{text.find('\0'), "NUL character in pattern"};
    }
    TopicPattern pattern;
    pattern.text_ = std::string(text);
    std::size_t start = 0;
    for (;;) {
        const std::size_t slash = text.find('/', start);
        const bool is_last = slash == std::string_view::npos;
        const std::string_view level =
            text.substr(start, is_last ? std::string_view::npos : slash - start);
        auto parsed = parse_level(level, start, is_last);
        if (auto* error = std::get_if<PatternError>(&parsed)) {
            return std::move(*error);
        }
        pattern.levels_.push_back(std::get<Level>(std::move(parsed)));
        if (is_last) {
            break;
        }
        start = slash + 1;
    }
    std::vector<std::string_view> names;
    for (const Level& level : pattern.levels_) {
        if (level.kind != LevelKind::capture && level.kind != LevelKind::tail_capture) {
            continue;
        }
        if (std::find(names.begin(), names.end(), level.text) != names.end()) {
            return PatternError{0, "capture '{" + level.text + "}' appears twice"};
        }
        names.push_back(level.text);
    }
    return pattern;
}

bool TopicPattern::match(std::string_view topic, Captures* out) const {
    const std::size_t captures_before = out ? out->size() : 0;
    const auto fail = [&] {
        if (out) {
            out->resize(captures_before);
        }
        return false;
    };
    std::size_t pos = 0;
    bool topic_done = false;
    for (std::size_t index = 0; index < levels_.size(); ++index) {
        const Level& level = levels_[index];
        const bool wildcard_first = index == 0 && topic.starts_with('$');
        if (is_multi_level(level.kind)) {
            // MQTT: wildcards never match a first level starting with '$'.
            if (wildcard_first) {
                return fail();
            }
            if (level.kind == LevelKind::multi_wildcard) {
                return true;
            }
            if (topic_done) {
                return fail();
            }
            const std::string_view rest = topic.substr(pos);
            if (rest.empty() || rest.starts_with('/') || rest.ends_with('/') ||
                rest.find("//") != std::string_view::npos) {
                return fail();
            }
            if (out) {
                out->push_back(Capture{level.text, std::string(rest)});
            }
            return true;
        }
        if (topic_done) {
            return fail();
        }
        const std::size_t slash = topic.find('/', pos);
        const std::string_view topic_level = topic.substr(
            pos, slash == std::string_view::npos ? std::string_view::npos : slash - pos);
        if (level.kind != LevelKind::literal && wildcard_first) {
            return fail();
        }
        if (!level_accepts(level, topic_level)) {
            return fail();
        }
        if (level.kind == LevelKind::capture && out) {
            out->push_back(Capture{level.text, std::string(topic_level)});
        }
        if (slash == std::string_view::npos) {
            topic_done = true;
        } else {
            pos = slash + 1;
        }
    }
    return topic_done ? true : fail();
}

bool TopicPattern::overlaps(const TopicPattern& other) const {
    return overlap_from(levels_, 0, other.levels_, 0);
}

std::string TopicPattern::mqtt_filter() const {
    std::string filter;
    for (std::size_t i = 0; i < levels_.size(); ++i) {
        if (i > 0) {
            filter += '/';
        }
        switch (levels_[i].kind) {
            case LevelKind::literal:
                filter += levels_[i].text;
                break;
            case LevelKind::single_wildcard:
            case LevelKind::capture:
                filter += '+';
                break;
            case LevelKind::multi_wildcard:
            case LevelKind::tail_capture:
                filter += '#';
                break;
        }
    }
    return filter;
}

std::vector<std::string> TopicPattern::capture_names() const {
    std::vector<std::string> names;
    for (const Level& level : levels_) {
        if (level.kind == LevelKind::capture || level.kind == LevelKind::tail_capture) {
            names.push_back(level.text);
        }
    }
    return names;
}

bool TopicPattern::has_capture(std::string_view name) const {
    return std::any_of(levels_.begin(), levels_.end(), [&](const Level& level) {
        return (level.kind == LevelKind::capture || level.kind == LevelKind::tail_capture) &&
               level.text == name;
    });
}

}  // namespace hubgate::mappings
