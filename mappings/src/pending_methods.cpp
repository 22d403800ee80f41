#include "hubgate/mappings/pending_methods.hpp"

#include <algorithm>

namespace hubgate::mappings {

void PendingMethods::add(PendingMethod request) {
    pending_.push_back(std::move(request));
}

std::optional<PendingMethod> PendingMethods::take(std::string_view device_id,
                                                  std::string_view rid) {
    const auto found = std::find_if(pending_.begin(), pending_.end(), [&](const auto& p) {
        return p.device_id == device_id && p.rid == rid;
    });
    if (found == pending_.end()) {
        return std::nullopt;
    }
    PendingMethod taken = std::move(*found);
    pending_.erase(found);
    return taken;
}

std::optional<PendingMethod> PendingMethods::take_oldest(std::string_view device_id,
                                                         std::string_view method) {
    const auto found = std::find_if(pending_.begin(), pending_.end(), [&](const auto& p) {
        return p.device_id == device_id && (method.empty() || p.method == method);
    });
    if (found == pending_.end()) {
        return std::nullopt;
    }
    PendingMethod taken = std::move(*found);
    pending_.erase(found);
    return taken;
}

std::optional<PendingMethod> PendingMethods::take_for(const UplinkRoute& reply) {
    if (reply.kind != UplinkKind::method_reply) {
        return std::nullopt;
    }
    if (reply.reply_to_oldest_pending) {
        return take_oldest(reply.device_id, reply.method);
    }
    return take(reply.device_id, reply.request_id);
}

std::vector<PendingMethod> PendingMethods::expire(std::chrono::steady_clock::time_point now) {
    std::vector<PendingMethod> expired;
    const auto keep = std::stable_partition(pending_.begin(), pending_.end(),
                                            [&](const auto& p) { return p.deadline > now; });
    std::move(keep, pending_.end(), std::back_inserter(expired));
    pending_.erase(keep, pending_.end());
    return expired;
}

}  // namespace hubgate::mappings
