#pragma once
// Where a counter of `hubgate status` is found in /metrics, by the naming rule the daemon keeps:
// `x` is hubgate_x_total (a counter) or hubgate_x (a gauge); per-reason rejections are a label of
// hubgate_messages_rejected_total; a few names have families of their own (kOwnFamilies).

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "prometheus_text.hpp"

namespace hubgate::test {

// The Prometheus series that carry one status counter: (family, sample name, labels).
struct MetricSeries {
    std::string family;
    std::map<std::string, std::string> labels;
};

// The series for `status_name`: one, or several that sum to it ("rejected"); empty when the
// exposition has none of them.
inline std::vector<MetricSeries> series_for_status_counter(const PromParse& parse,
                                                           const std::string& status_name) {
    static const std::map<std::string, std::string> kOwnFamilies = {
        {"routed", "hubgate_messages_routed_total"},
        {"session_reconnects", "hubgate_reconnects_total"},
        {"dead_lettered", "hubgate_messages_dead_lettered_total"},
        {"desired_stale", "hubgate_desired_patches_stale_total"},
        {"reported_merged", "hubgate_reported_patches_merged_total"},
    };
    const std::string rejected = "hubgate_messages_rejected_total";
    std::vector<MetricSeries> found;
    const auto has = [&](const std::string& family) { return parse.families.count(family) == 1; };
    if (status_name == "rejected") {
        if (has(rejected)) {
            for (const auto& sample : parse.families.at(rejected).samples) {
                found.push_back({rejected, sample.labels});
            }
        }
        return found;
    }
    if (status_name.rfind("rejected_", 0) == 0) {
        if (has(rejected)) {
            found.push_back({rejected, {{"reason", status_name.substr(9)}}});
        }
        return found;
    }
    if (const auto own = kOwnFamilies.find(status_name); own != kOwnFamilies.end()) {
        if (has(own->second)) {
            found.push_back({own->second, {}});
        }
        return found;
    }
    for (const std::string& family :
         {"hubgate_" + status_name + "_total", "hubgate_" + status_name}) {
        if (has(family)) {
            found.push_back({family, {}});
            return found;
        }
    }
    return found;
}

// The sum of those series' values; nullopt when one is missing (or none exists).
inline std::optional<double> metric_value_for_status_counter(const PromParse& parse,
                                                             const std::string& status_name) {
    const auto series = series_for_status_counter(parse, status_name);
    if (series.empty()) {
        return std::nullopt;
    }
    double sum = 0;
    for (const auto& one : series) {
        const auto value = prom_value(parse, one.family, one.family, one.labels);
        if (!value) {
            return std::nullopt;
        }
        sum += *value;
    }
    return sum;
}

}  // namespace hubgate::test
