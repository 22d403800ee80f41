#include "gateway/core/reported_merge.hpp"

namespace hubgate::core {

namespace {

using nlohmann::json;

// compose_merge_patch's work on a copy it may throw away: false as soon as a key cannot be said.
bool compose_into(json& merged, const json& next) {
    for (const auto& [key, value] : next.items()) {
        const auto found = merged.find(key);
        if (!value.is_object() || found == merged.end()) {
            // A value, a deletion (null), or an object for a key the earlier patches left alone:
            // the later patch alone decides.
            merged[key] = value;
            continue;
        }
        if (!found->is_object()) {
            return false;  // deleted or set to a non-object, then given an object
        }
        if (!compose_into(*found, value)) {
            return false;
        }
    }
    return true;
}

}  // namespace

bool compose_merge_patch(json& merged, const json& next) {
    if (!merged.is_object() || !next.is_object()) {
        return false;
    }
    json candidate = merged;
    if (!compose_into(candidate, next)) {
        return false;
    }
    merged = std::move(candidate);
    return true;
}

bool ReportedMerge::add(std::uint64_t seq, const json& patch) {
    if (seqs_.empty()) {
        if (!patch.is_object()) {
            return false;
        }
        patch_ = patch;
        seqs_.push_back(seq);
        return true;
    }
    if (seqs_.size() >= kMaxPatches) {
        return false;
    }
    json candidate = patch_;
    if (!compose_merge_patch(candidate, patch) || candidate.dump().size() > kMaxBytes) {
        return false;
    }
    patch_ = std::move(candidate);
    seqs_.push_back(seq);
    return true;
}

}  // namespace hubgate::core
