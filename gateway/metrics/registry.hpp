#pragma once
// The metrics of a process, gathered at scrape time: each collector writes its families when the
// endpoint is scraped, reading the owner's own counters (no second set of books to keep).

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "gateway/metrics/text_format.hpp"

namespace hubgate::metrics {

// Writes one part of the metrics into the exposition; called on the scraping thread.
using Collector = std::function<void(TextExposition&)>;

// The set of collectors rendered by a scrape.
class Registry {
  public:
    void add_collector(Collector collector);

    // Runs every collector, in the order they were added. A collector that throws loses its
    // part of this scrape only: the failure is logged and counted in
    // hubgate_metrics_collector_errors_total, and the other parts are still served.
    std::string render() const;

  private:
    mutable std::mutex mutex_;
    std::vector<Collector> collectors_;
    mutable std::atomic<std::uint64_t> collector_errors_{0};
};

}  // namespace hubgate::metrics
