#include "gateway/metrics/text_format.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "gateway/metrics/histogram.hpp"

namespace hubgate::metrics {
namespace {

std::string_view type_name(MetricType type) {
    switch (type) {
        case MetricType::Counter:
            return "counter";
        case MetricType::Gauge:
            return "gauge";
        case MetricType::Histogram:
            return "histogram";
    }
    return "untyped";
}

void append_labels(std::string& out, const Labels& labels) {
    if (labels.empty())
        return;
    out += '{';
    bool first = true;
    for (const auto& [name, value] : labels) {
        if (!first)
            out += ',';
        first = false;
        out += name;
        out += "=\"";
        out += escape_label_value(value);
        out += '"';
    }
    out += '}';
}

}  // namespace

std::string escape_label_value(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (char c : value) {
        switch (c) {
            case '\\':
                out += "\\\\";
                break;
            case '"':
                out += "\\\"";
                break;
            case '\n':
                out += "\\n";
                break;
            default:
                out += c;
        }
    }
    return out;
}

std::string escape_help(std::string_view help) {
    std::string out;
    out.reserve(help.size());
    for (char c : help) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

std::string format_value(double value) {
    if (std::isnan(value))
        return "NaN";
    if (std::isinf(value))
        return value > 0 ? "+Inf" : "-Inf";
    // Counts up to 2^53 are exact doubles: print them as integers, the way people read them.
    if (value == std::floor(value) && std::fabs(value) < 9007199254740992.0)
        return fmt::format("{:.0f}", value);
    return fmt::format("{}", value);
}

void TextExposition::family(std::string_view name, std::string_view help, MetricType type) {
    text_ +=
        fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, escape_help(help), name, type_name(type));
}

void TextExposition::sample(std::string_view name, const Labels& labels, double value) {
    text_ += name;
    append_labels(text_, labels);
    text_ += ' ';
    text_ += format_value(value);
    text_ += '\n';
}

void TextExposition::histogram(std::string_view name, const Labels& labels,
                               const HistogramSnapshot& snapshot) {
    const std::string bucket = fmt::format("{}_bucket", name);
    for (std::size_t i = 0; i < snapshot.upper_bounds.size(); ++i) {
        Labels with_le = labels;
        with_le.emplace_back("le", format_value(snapshot.upper_bounds[i]));
        sample(bucket, with_le, static_cast<double>(snapshot.cumulative_counts[i]));
    }
    Labels with_inf = labels;
    with_inf.emplace_back("le", "+Inf");
    sample(bucket, with_inf, static_cast<double>(snapshot.count));
    sample(fmt::format("{}_sum", name), labels, snapshot.sum);
    sample(fmt::format("{}_count", name), labels, static_cast<double>(snapshot.count));
}

}  // namespace hubgate::metrics
