// Durations and sizes: every accepted form, every refused form with its reason.
#include <doctest/doctest.h>

#include "gateway/config/units.hpp"

using hubgate::config::format_duration;
using hubgate::config::format_size;
using hubgate::config::parse_duration;
using hubgate::config::parse_size;
using std::chrono::milliseconds;

TEST_CASE("durations in every unit and in combinations") {
    struct Row {
        const char* text;
        int64_t ms;
    };
    const Row rows[] = {{"250ms", 250},      {"30s", 30'000},
                        {"5m", 300'000},     {"1h", 3'600'000},
                        {"2d", 172'800'000}, {"1h30m", 5'400'000},
                        {"1m30s", 90'000},   {"1s500ms", 1'500},
                        {"0s", 0},           {"1d2h3m4s5ms", 93'784'005}};
    for (const auto& row : rows) {
        CAPTURE(row.text);
        const auto parsed = parse_duration(row.text);
        REQUIRE(parsed);
        CHECK(parsed.value->count() == row.ms);
        CHECK(format_duration(*parsed.value) == (row.ms == 0 ? "0s" : std::string(row.text)));
    }
}

TEST_CASE("durations that are refused say why") {
    struct Row {
        const char* text;
        const char* reason;
    };
    const Row rows[] = {
        {"30", "missing unit"},
        {"30sec", "unknown unit \"sec\""},
        {"1.5h", "fractions are not allowed"},
        {"-5s", "negative"},
        {"30m1h", "largest to smallest"},
        {"1s1s", "largest to smallest"},
        {"", "empty"},
        {" 5s", "no spaces"},
        {"s", "expected <number><unit>"},
        {"99999999999999999999s", "too large"},
        {"999999999999999d", "too large"},
    };
    for (const auto& row : rows) {
        CAPTURE(row.text);
        const auto parsed = parse_duration(row.text);
        CHECK_FALSE(parsed);
        CHECK(parsed.error.find(row.reason) != std::string::npos);
    }
}

TEST_CASE("sizes in binary and decimal units") {
    struct Row {
        const char* text;
        uint64_t bytes;
    };
    const Row rows[] = {
        {"512B", 512},           {"64KiB", 65'536},           {"1MiB", 1'048'576},
        {"1GiB", 1'073'741'824}, {"2TiB", 2'199'023'255'552}, {"1KB", 1'000},
        {"500MB", 500'000'000},  {"1GB", 1'000'000'000},      {"3TB", 3'000'000'000'000}};
    for (const auto& row : rows) {
        CAPTURE(row.text);
        const auto parsed = parse_size(row.text);
        REQUIRE(parsed);
        CHECK(*parsed.value == row.bytes);
        CHECK(parse_size(format_size(row.bytes)).value == row.bytes);
    }
    CHECK(format_size(1'073'741'824) == "1GiB");
    CHECK(format_size(1'500) == "1500B");
    CHECK(format_size(500'000'000) == "500MB");
}

TEST_CASE("sizes that are refused say why") {
    struct Row {
        const char* text;
        const char* reason;
    };
    const Row rows[] = {
        {"100", "missing unit"},
        {"64kib", "did you mean \"KiB\""},
        {"64kb", "did you mean \"KB\""},
        {"64 KiB", "no spaces"},
        {"64XB", "unknown unit \"XB\""},
        {"1.5GiB", "fractions are not allowed"},
        {"-1GiB", "negative"},
        {"20000000TiB", "too large"},
        {"", "empty"},
    };
    for (const auto& row : rows) {
        CAPTURE(row.text);
        const auto parsed = parse_size(row.text);
        CHECK_FALSE(parsed);
        CHECK(parsed.error.find(row.reason) != std::string::npos);
    }
}
