#include "gateway/metrics/histogram.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace hubgate::metrics {

Histogram::Histogram(std::vector<double> upper_bounds)
    : upper_bounds_(std::move(upper_bounds)), bucket_counts_(upper_bounds_.size(), 0) {
    for (std::size_t i = 0; i < upper_bounds_.size(); ++i) {
        const bool increasing = i == 0 || upper_bounds_[i - 1] < upper_bounds_[i];
        if (!std::isfinite(upper_bounds_[i]) || !increasing)
            std::abort();  // a programming error in a fixed bucket table
    }
}

void Histogram::observe(double value) {
    if (std::isnan(value))
        return;
    const auto bucket = std::lower_bound(upper_bounds_.begin(), upper_bounds_.end(), value);
    std::lock_guard lock(mutex_);
    if (bucket != upper_bounds_.end())
        ++bucket_counts_[static_cast<std::size_t>(bucket - upper_bounds_.begin())];
    ++count_;
    sum_ += value;
}

HistogramSnapshot Histogram::snapshot() const {
    HistogramSnapshot out;
    out.upper_bounds = upper_bounds_;
    out.cumulative_counts.reserve(upper_bounds_.size());
    std::lock_guard lock(mutex_);
    std::uint64_t running = 0;
    for (std::uint64_t n : bucket_counts_) {
        running += n;
        out.cumulative_counts.push_back(running);
    }
    out.count = count_;
    out.sum = sum_;
    return out;
}

}  // namespace hubgate::metrics
