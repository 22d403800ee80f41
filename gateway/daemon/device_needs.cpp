#include "gateway/daemon/device_needs.hpp"

namespace hubgate::daemon {

session::DeviceNeeds DeviceNeedsCache::needs_of(const std::string& device_id,
                                                std::string_view device_class) {
    const auto generation = mappings_.generation();
    {
        std::lock_guard lock(mutex_);
        if (generation != generation_) {
            by_class_.clear();
            generation_ = generation;
        }
        if (const auto found = by_class_.find(device_class); found != by_class_.end()) {
            return found->second;
        }
    }
    session::DeviceNeeds needs = probe(device_id);
    std::lock_guard lock(mutex_);
    by_class_.emplace(std::string(device_class), needs);
    return needs;
}

session::DeviceNeeds DeviceNeedsCache::probe(const std::string& device_id) {
    // The mapping engine has no "which templates does this class have" question, so each kind is
    // rendered once with sample values: only "no template" means the kind is not needed.
    mappings::DownlinkVars vars;
    vars.method = "probe";
    vars.rid = "1";
    vars.status = 200;
    vars.version = 1;
    session::DeviceNeeds needs;
    const auto rules = mappings_.current();
    auto has = [&](mappings::DownlinkKind kind, mappings::DownlinkRoute* route_out) {
        bool needed = false;
        devices_.read([&](const mappings::DeviceDirectory& directory) {
            auto result = rules->set->render_downlink(device_id, kind, vars, "{}", directory);
            if (auto* route = std::get_if<mappings::DownlinkRoute>(&result)) {
                needed = true;
                if (route_out != nullptr) {
                    *route_out = std::move(*route);
                }
                return;
            }
            needed = std::get<mappings::Rejection>(result).reason !=
                     mappings::RejectReason::no_downlink_template;
        });
        return needed;
    };
    mappings::DownlinkRoute method_route;
    needs.c2d = has(mappings::DownlinkKind::c2d, nullptr);
    needs.desired = has(mappings::DownlinkKind::desired, nullptr) ||
                    has(mappings::DownlinkKind::desired_patch, nullptr);
    needs.methods = has(mappings::DownlinkKind::method, &method_route);
    needs.twin = needs.desired;
    if (needs.methods && method_route.reply_timeout.count() > 0) {
        needs.method_timeout =
            std::chrono::duration_cast<session::Millis>(method_route.reply_timeout);
    }
    return needs;
}

}  // namespace hubgate::daemon
