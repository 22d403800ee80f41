#pragma once
// The Prometheus text exposition format (version 0.0.4): metric families with HELP and TYPE
// lines, then their samples. Only writes; names are the caller's (fixed, valid) identifiers,
// label values and help texts are escaped here.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hubgate::metrics {

struct HistogramSnapshot;

// Label name and value pairs of one sample, in the order they are written.
using Labels = std::vector<std::pair<std::string, std::string>>;

enum class MetricType { Counter, Gauge, Histogram };

// Content-Type of a scrape answer in this format.
inline constexpr const char* kTextContentType = "text/plain; version=0.0.4; charset=utf-8";

// Appends metric families to one exposition text.
class TextExposition {
  public:
    // Starts a family: "# HELP name help" and "# TYPE name type".
    void family(std::string_view name, std::string_view help, MetricType type);
    // One sample line: name{labels} value.
    void sample(std::string_view name, const Labels& labels, double value);
    // A histogram's samples: cumulative name_bucket{le=...} lines ending in le="+Inf", name_sum,
    // name_count. Call family() with MetricType::Histogram first.
    void histogram(std::string_view name, const Labels& labels, const HistogramSnapshot& snapshot);

    const std::string& text() const { return text_; }

  private:
    std::string text_;
};

// A label value with backslash, double quote and line feed escaped.
std::string escape_label_value(std::string_view value);
// A HELP text with backslash and line feed escaped.
std::string escape_help(std::string_view help);
// A sample value: integers without exponent or fraction, +Inf, -Inf, NaN.
std::string format_value(double value);

}  // namespace hubgate::metrics
