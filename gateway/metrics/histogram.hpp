#pragma once
// A histogram with fixed bucket upper bounds, safe to observe from any thread.

#include <cstdint>
#include <mutex>
#include <vector>

namespace hubgate::metrics {

// A consistent copy of a histogram: cumulative counts per upper bound (the +Inf bucket is
// `count`), the number of observations and their sum.
struct HistogramSnapshot {
    std::vector<double> upper_bounds;
    std::vector<std::uint64_t> cumulative_counts;  // one per upper bound
    std::uint64_t count = 0;
    double sum = 0;
};

// Counts observations into buckets `value <= upper bound`.
class Histogram {
  public:
    // `upper_bounds` must be strictly increasing and finite (an invariant: aborts otherwise).
    explicit Histogram(std::vector<double> upper_bounds);

    // NaN observations are ignored (they have no bucket and would poison the sum).
    void observe(double value);
    HistogramSnapshot snapshot() const;

  private:
    const std::vector<double> upper_bounds_;
    mutable std::mutex mutex_;
    std::vector<std::uint64_t> bucket_counts_;  // not cumulative; one per bound
    std::uint64_t count_ = 0;
    double sum_ = 0;
};

}  // namespace hubgate::metrics
