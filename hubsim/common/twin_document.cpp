// Twin sections and JSON merge patches.
#include "hubsim/common/twin_document.hpp"

namespace hubsim {

using nlohmann::json;

void merge_patch(json& target, const json& patch) {
    for (const auto& [name, value] : patch.items()) {
        if (value.is_null()) {
            target.erase(name);
        } else if (value.is_object() && target.contains(name) && target[name].is_object()) {
            merge_patch(target[name], value);
        } else if (value.is_object()) {
            json fresh = json::object();
            merge_patch(fresh, value);  // nulls inside a new object add nothing
            target[name] = std::move(fresh);
        } else {
            target[name] = value;
        }
    }
}

std::string twin_patch_error(const json& patch) {
    if (!patch.is_object())
        return "a twin patch must be a JSON object";
    for (const auto& [name, value] : patch.items()) {
        if (name.starts_with('$'))
            return "property names starting with '$' are reserved: " + name;
    }
    return {};
}

json TwinDocument::device_view() const {
    json desired = desired_;
    desired["$version"] = desired_version_;
    json reported = reported_;
    reported["$version"] = reported_version_;
    return json{{"desired", std::move(desired)}, {"reported", std::move(reported)}};
}

int64_t TwinDocument::patch_reported(const json& patch) {
    merge_patch(reported_, patch);
    ++version_;
    return ++reported_version_;
}

int64_t TwinDocument::patch_desired(const json& patch) {
    merge_patch(desired_, patch);
    ++version_;
    return ++desired_version_;
}

int64_t TwinDocument::replace_desired(const json& desired) {
    desired_ = json::object();
    merge_patch(desired_, desired);
    ++version_;
    return ++desired_version_;
}

void TwinDocument::patch_tags(const json& patch) {
    merge_patch(tags_, patch);
    ++version_;
}

void TwinDocument::replace_tags(const json& tags) {
    tags_ = json::object();
    merge_patch(tags_, tags);
    ++version_;
}

}  // namespace hubsim
