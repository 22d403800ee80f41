#include "gateway/config/units.hpp"

#include <array>
#include <cctype>
#include <limits>

namespace hubgate::config {

namespace {

struct Unit {
    std::string_view name;
    uint64_t factor;
};

// Largest first: a duration's parts must follow this order.
constexpr std::array<Unit, 5> kDurationUnits{{
    {"d", 86'400'000},
    {"h", 3'600'000},
    {"m", 60'000},
    {"s", 1'000},
    {"ms", 1},
}};

constexpr std::array<Unit, 9> kSizeUnits{{
    {"TiB", 1ULL << 40},
    {"GiB", 1ULL << 30},
    {"MiB", 1ULL << 20},
    {"KiB", 1ULL << 10},
    {"TB", 1'000'000'000'000ULL},
    {"GB", 1'000'000'000ULL},
    {"MB", 1'000'000ULL},
    {"KB", 1'000ULL},
    {"B", 1},
}};

constexpr std::string_view kDurationUnitList = "ms, s, m, h or d";
constexpr std::string_view kSizeUnitList = "B, KB, MB, GB, TB, KiB, MiB, GiB or TiB";

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

std::string in_quotes(std::string_view text) {
    return "\"" + std::string(text) + "\"";
}

bool equal_ignoring_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size())
        return false;
    for (size_t i = 0; i < a.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(a[i])) !=
            std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    }
    return true;
}

// Reads the digits at text[pos...]; false on overflow.
bool read_number(std::string_view text, size_t& pos, uint64_t& out) {
    out = 0;
    while (pos < text.size() && is_digit(text[pos])) {
        const uint64_t digit = static_cast<uint64_t>(text[pos] - '0');
        if (out > (std::numeric_limits<uint64_t>::max() - digit) / 10)
            return false;
        out = out * 10 + digit;
        ++pos;
    }
    return true;
}

std::string_view read_unit(std::string_view text, size_t& pos) {
    const size_t start = pos;
    while (pos < text.size() && !is_digit(text[pos]) && text[pos] != '.')
        ++pos;
    return text.substr(start, pos - start);
}

bool multiply(uint64_t a, uint64_t b, uint64_t& out) {
    if (b != 0 && a > std::numeric_limits<uint64_t>::max() / b)
        return false;
    out = a * b;
    return true;
}

// Errors shared by both parsers for text that is not <digits><unit>.
std::string shape_error(std::string_view text, std::string_view example) {
    if (text.empty())
        return "empty value; expected something like " + in_quotes(example);
    if (text.find(' ') != std::string_view::npos)
        return "no spaces allowed: " + in_quotes(text);
    if (text.front() == '-')
        return "negative values are not allowed: " + in_quotes(text);
    return "expected <number><unit> such as " + in_quotes(example) + ", got " + in_quotes(text);
}

}  // namespace

Parsed<std::chrono::milliseconds> parse_duration(std::string_view text) {
    using Result = Parsed<std::chrono::milliseconds>;
    if (text.empty() || !is_digit(text.front()) || text.find(' ') != std::string_view::npos) {
        return Result{{}, shape_error(text, "30s")};
    }
    uint64_t total = 0;
    size_t next_unit = 0;  // index into kDurationUnits: units must not repeat or grow
    size_t pos = 0;
    while (pos < text.size()) {
        uint64_t number = 0;
        if (!is_digit(text[pos]))
            return Result{{}, shape_error(text, "30s")};
        if (!read_number(text, pos, number))
            return Result{{}, "too large: " + in_quotes(text)};
        if (pos < text.size() && text[pos] == '.') {
            return Result{{},
                          "fractions are not allowed in " + in_quotes(text) +
                              "; combine units instead, e.g. \"1h30m\" or \"1500ms\""};
        }
        const std::string_view unit = read_unit(text, pos);
        if (unit.empty()) {
            return Result{{},
                          "missing unit in " + in_quotes(text) + "; use " +
                              std::string(kDurationUnitList) + ", e.g. \"" +
                              std::to_string(number) + "s\""};
        }
        size_t index = 0;
        while (index < kDurationUnits.size() && kDurationUnits[index].name != unit)
            ++index;
        if (index == kDurationUnits.size()) {
            return Result{{},
                          "unknown unit " + in_quotes(unit) + " in " + in_quotes(text) + "; use " +
                              std::string(kDurationUnitList)};
        }
        if (index < next_unit) {
            return Result{
                {},
                "units must go from largest to smallest, each at most once: " + in_quotes(text)};
        }
        next_unit = index + 1;
        uint64_t part = 0;
        if (!multiply(number, kDurationUnits[index].factor, part) ||
            part > std::numeric_limits<uint64_t>::max() - total) {
            return Result{{}, "too large: " + in_quotes(text)};
        }
        total += part;
    }
    if (total > static_cast<uint64_t>(std::numeric_limits<std::chrono::milliseconds::rep>::max())) {
        return Result{{}, "too large: " + in_quotes(text)};
    }
    return Result{std::chrono::milliseconds(static_cast<int64_t>(total)), {}};
}

Parsed<uint64_t> parse_size(std::string_view text) {
    using Result = Parsed<uint64_t>;
    if (text.empty() || !is_digit(text.front()) || text.find(' ') != std::string_view::npos) {
        return Result{{}, shape_error(text, "64MiB")};
    }
    size_t pos = 0;
    uint64_t number = 0;
    if (!read_number(text, pos, number))
        return Result{{}, "too large: " + in_quotes(text)};
    if (pos < text.size() && text[pos] == '.') {
        return Result{{},
                      "fractions are not allowed in " + in_quotes(text) +
                          "; use a smaller unit instead, e.g. \"1536MiB\""};
    }
    const std::string_view unit = read_unit(text, pos);
    if (pos != text.size())
        return Result{{}, shape_error(text, "64MiB")};
    if (unit.empty()) {
        return Result{{},
                      "missing unit in " + in_quotes(text) + "; use " + std::string(kSizeUnitList) +
                          ", e.g. \"" + std::to_string(number) + "B\" for bytes"};
    }
    for (const auto& known : kSizeUnits) {
        if (known.name == unit) {
            uint64_t bytes = 0;
            if (!multiply(number, known.factor, bytes)) {
                return Result{{}, "too large: " + in_quotes(text)};
            }
            return Result{bytes, {}};
        }
    }
    std::string error = "unknown unit " + in_quotes(unit) + " in " + in_quotes(text);
    for (const auto& known : kSizeUnits) {
        if (equal_ignoring_case(known.name, unit)) {
            return Result{
                {},
                error + "; did you mean " + in_quotes(known.name) + "? (units are case-sensitive)"};
        }
    }
    return Result{{}, error + "; use " + std::string(kSizeUnitList)};
}

std::string format_duration(std::chrono::milliseconds duration) {
    if (duration.count() == 0)
        return "0s";
    if (duration.count() < 0)
        return "-" + format_duration(-duration);
    uint64_t rest = static_cast<uint64_t>(duration.count());
    std::string out;
    for (const auto& unit : kDurationUnits) {
        if (rest >= unit.factor) {
            out += std::to_string(rest / unit.factor) + std::string(unit.name);
            rest %= unit.factor;
        }
    }
    return out;
}

std::string format_size(uint64_t bytes) {
    for (const auto& unit : kSizeUnits) {
        if (unit.factor > 1 && bytes != 0 && bytes % unit.factor == 0) {
            return std::to_string(bytes / unit.factor) + std::string(unit.name);
        }
    }
    return std::to_string(bytes) + "B";
}

}  // namespace hubgate::config
