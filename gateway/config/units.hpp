#pragma once
// Durations ("250ms", "30s", "5m", "1h30m", "7d") and byte sizes ("512B", "64KiB", "1GiB",
// "500MB") as written in hubgate's config files and command-line options.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hubgate::config {

// A parsed value, or the reason the text is not one.
template <class T>
struct Parsed {
    std::optional<T> value;
    std::string error;  // set when value is empty, e.g. "unknown unit 'sec' (use ms, s, m, h, d)"
    explicit operator bool() const { return value.has_value(); }
};

// One or more <integer><unit> parts, largest unit first, units ms, s, m, h, d: "90s", "1h30m".
// No sign, no fraction, no spaces; a bare number is refused (the unit is never guessed).
Parsed<std::chrono::milliseconds> parse_duration(std::string_view text);

// <integer><unit>, units B, KB, MB, GB, TB (powers of 1000) and KiB, MiB, GiB, TiB (powers of
// 1024), case-sensitive; a bare number is refused.
Parsed<uint64_t> parse_size(std::string_view text);

// The shortest text parse_duration() reads back as the same value ("1h30m", "250ms", "0s").
std::string format_duration(std::chrono::milliseconds duration);
// Exact text parse_size() reads back as the same value, binary units preferred ("1GiB", "1500B").
std::string format_size(uint64_t bytes);

}  // namespace hubgate::config
