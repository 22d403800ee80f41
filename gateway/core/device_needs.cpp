#include "gateway/core/device_needs.hpp"

namespace hubgate::core {

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
    auto has = [&](mappings::DownlinkKind kind) {
        bool needed = false;
        devices_.read([&](const mappings::DeviceDirectory& directory) {
            auto result = rules->set->render_downlink(device_id, kind, vars, "{}", directory);
            if (std::holds_alternative<mappings::DownlinkRoute>(result)) {
                needed = true;
                return;
            }
            needed = std::get<mappings::Rejection>(result).reason !=
                     mappings::RejectReason::no_downlink_template;
        });
        return needed;
    };
    needs.c2d = has(mappings::DownlinkKind::c2d);
    needs.desired =
        has(mappings::DownlinkKind::desired) || has(mappings::DownlinkKind::desired_patch);
    // A method's timeout is the rule's, applied where the call waits (method_calls.hpp).
    needs.methods = has(mappings::DownlinkKind::method);
    needs.twin = needs.desired;
    return needs;
}

}  // namespace hubgate::core
