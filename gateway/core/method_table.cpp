#include "gateway/core/method_table.hpp"

namespace hubgate::core {

bool MethodTable::add(PendingCall call) {
    Key key{call.device_id, call.rid};
    if (calls_.contains(key)) {
        return false;
    }
    deadlines_.emplace(call.deadline, key);
    calls_.emplace(std::move(key), Entry{std::move(call), ++last_order_});
    return true;
}

std::optional<PendingCall> MethodTable::take(const ReplyKey& reply) {
    if (!reply.oldest_pending) {
        const auto it = calls_.find(Key{reply.device_id, reply.rid});
        if (it == calls_.end()) {
            return std::nullopt;
        }
        return remove(it);
    }
    // The device's calls are adjacent in the map (keyed by device first); the oldest of them
    // for the method is the one with the lowest arrival order.
    auto oldest = calls_.end();
    for (auto it = calls_.lower_bound(Key{reply.device_id, std::string()});
         it != calls_.end() && it->first.first == reply.device_id; ++it) {
        if (!reply.method.empty() && it->second.call.method != reply.method) {
            continue;
        }
        if (oldest == calls_.end() || it->second.order < oldest->second.order) {
            oldest = it;
        }
    }
    if (oldest == calls_.end()) {
        return std::nullopt;
    }
    return remove(oldest);
}

std::vector<PendingCall> MethodTable::expire(SteadyTime now) {
    std::vector<PendingCall> expired;
    while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
        const auto it = calls_.find(deadlines_.begin()->second);
        expired.push_back(remove(it));
    }
    return expired;
}

std::vector<PendingCall> MethodTable::drop_device(std::string_view device_id) {
    std::vector<PendingCall> dropped;
    auto it = calls_.lower_bound(Key{std::string(device_id), std::string()});
    while (it != calls_.end() && it->first.first == device_id) {
        dropped.push_back(remove(it++));
    }
    return dropped;
}

std::optional<SteadyTime> MethodTable::next_deadline() const {
    if (deadlines_.empty()) {
        return std::nullopt;
    }
    return deadlines_.begin()->first;
}

PendingCall MethodTable::remove(std::map<Key, Entry, std::less<>>::iterator it) {
    deadlines_.erase({it->second.call.deadline, it->first});
    PendingCall call = std::move(it->second.call);
    calls_.erase(it);
    return call;
}

}  // namespace hubgate::core
