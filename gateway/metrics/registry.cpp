#include "gateway/metrics/registry.hpp"

#include <spdlog/spdlog.h>

#include <exception>

namespace hubgate::metrics {

void Registry::add_collector(Collector collector) {
    std::lock_guard lock(mutex_);
    collectors_.push_back(std::move(collector));
}

std::string Registry::render() const {
    std::string text;
    {
        std::lock_guard lock(mutex_);
        for (std::size_t i = 0; i < collectors_.size(); ++i) {
            // Each collector writes into its own buffer, so a throw half-way leaves no partial
            // family in the answer.
            TextExposition part;
            try {
                collectors_[i](part);
                text += part.text();
            } catch (const std::exception& e) {
                ++collector_errors_;
                spdlog::warn("metrics: collector {} failed: {}", i, e.what());
            }
        }
    }
    TextExposition own;
    own.family("hubgate_metrics_collector_errors_total",
               "Scrapes in which a part of the metrics could not be collected.",
               MetricType::Counter);
    own.sample("hubgate_metrics_collector_errors_total", {},
               static_cast<double>(collector_errors_.load()));
    return text + own.text();
}

}  // namespace hubgate::metrics
