#include "gateway/spool/recent_sources.hpp"

#include <algorithm>
#include <iterator>

namespace hubgate::spool {

RecentSources::RecentSources(std::size_t capacity)
    : capacity_(std::min(capacity, kMaxCapacity)), latest_(kMaxCapacity + 1, 0) {}

void RecentSources::remember(const Entry& entry) {
    if (entry.packet_id == 0 || entry.packet_id > kMaxCapacity || capacity_ == 0 ||
        entry.mid.size() > Slot{}.mid.size() || entry.seq < floor_) {
        return;
    }
    if (order_.size() == capacity_) {
        std::uint64_t& oldest = latest_[order_.front().packet_id];
        if (oldest == popped_ + 1) {
            oldest = 0;
        }
        order_.pop_front();
        ++popped_;
    }
    Slot slot;
    slot.digest = entry.digest;
    slot.seq = entry.seq;
    slot.packet_id = static_cast<std::uint16_t>(entry.packet_id);
    slot.mid_size = static_cast<std::uint8_t>(entry.mid.size());
    std::copy(entry.mid.begin(), entry.mid.end(), slot.mid.begin());
    order_.push_back(slot);
    latest_[entry.packet_id] = popped_ + order_.size();
}

void RecentSources::restore(std::vector<Entry> entries) {
    std::vector<Entry> known = this->entries();
    entries.insert(entries.end(), std::make_move_iterator(known.begin()),
                   std::make_move_iterator(known.end()));
    std::uint64_t floor = floor_;
    for (const Entry& entry : entries) {
        if (entry.packet_id == 0) {
            floor = std::max(floor, entry.seq);
        }
    }
    std::erase_if(
        entries, [floor](const Entry& entry) { return entry.packet_id == 0 || entry.seq < floor; });
    std::stable_sort(entries.begin(), entries.end(),
                     [](const Entry& a, const Entry& b) { return a.seq < b.seq; });
    entries.erase(std::unique(entries.begin(), entries.end(),
                              [](const Entry& a, const Entry& b) { return a.seq == b.seq; }),
                  entries.end());
    forget(floor);
    const std::size_t skip = entries.size() > capacity_ ? entries.size() - capacity_ : 0;
    for (auto it = entries.begin() + static_cast<std::ptrdiff_t>(skip); it != entries.end(); ++it) {
        remember(*it);
    }
}

std::optional<RecentSources::Entry> RecentSources::find(std::uint32_t packet_id,
                                                        std::uint64_t digest) const {
    if (packet_id == 0 || packet_id > kMaxCapacity || latest_[packet_id] == 0) {
        return std::nullopt;
    }
    const Slot& slot = order_[latest_[packet_id] - 1 - popped_];
    if (slot.digest != digest) {
        return std::nullopt;
    }
    return to_entry(slot);
}

void RecentSources::drop(std::uint32_t packet_id) {
    if (packet_id != 0 && packet_id <= kMaxCapacity) {
        latest_[packet_id] = 0;
    }
}

std::vector<RecentSources::Entry> RecentSources::entries() const {
    std::vector<Entry> out;
    out.reserve(order_.size());
    for (const Slot& slot : order_) {
        out.push_back(to_entry(slot));
    }
    return out;
}

void RecentSources::forget(std::uint64_t floor) {
    floor_ = std::max(floor_, floor);
    for (const Slot& slot : order_) {
        latest_[slot.packet_id] = 0;
    }
    popped_ += order_.size();
    order_.clear();
}

RecentSources::Entry RecentSources::to_entry(const Slot& slot) {
    return {slot.packet_id, slot.digest, slot.seq,
            std::string(slot.mid.data(), slot.mid.data() + slot.mid_size)};
}

}  // namespace hubgate::spool
