#include "gateway/spool/recent_sources.hpp"

namespace hubgate::spool {

void RecentSources::remember(Entry entry) {
    if (entry.packet_id == 0 || capacity_ == 0) {
        return;
    }
    if (order_.size() == capacity_) {
        const auto oldest = latest_.find(order_.front().packet_id);
        if (oldest != latest_.end() && oldest->second == popped_) {
            latest_.erase(oldest);
        }
        order_.pop_front();
        ++popped_;
    }
    latest_[entry.packet_id] = popped_ + order_.size();
    order_.push_back(std::move(entry));
}

std::optional<RecentSources::Entry> RecentSources::find(std::uint32_t packet_id,
                                                        std::uint64_t digest) const {
    if (packet_id == 0) {
        return std::nullopt;
    }
    const auto it = latest_.find(packet_id);
    if (it == latest_.end()) {
        return std::nullopt;
    }
    const Entry& entry = order_[it->second - popped_];
    if (entry.digest != digest) {
        return std::nullopt;
    }
    return entry;
}

void RecentSources::forget() {
    popped_ += order_.size();
    order_.clear();
    latest_.clear();
}

}  // namespace hubgate::spool
