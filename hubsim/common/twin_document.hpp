#pragma once
// A device twin: desired and reported property sections, each with its own $version, plus tags.
// Patches follow JSON merge semantics: members update or add, null removes.

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace hubsim {

// The twin of one device; not thread-safe (the hub's lock guards it).
class TwinDocument {
  public:
    // {"desired":{...,"$version":N},"reported":{...,"$version":M}}, as a device GET returns it.
    nlohmann::json device_view() const;
    const nlohmann::json& desired() const { return desired_; }
    const nlohmann::json& reported() const { return reported_; }
    const nlohmann::json& tags() const { return tags_; }
    int64_t desired_version() const { return desired_version_; }
    int64_t reported_version() const { return reported_version_; }
    int64_t version() const { return version_; }  // bumps on every change

    // Each returns the new section version; the patch must be a JSON object (checked by the caller
    // with is_valid_patch) and must not set "$version" or "$metadata".
    int64_t patch_reported(const nlohmann::json& patch);
    int64_t patch_desired(const nlohmann::json& patch);
    int64_t replace_desired(const nlohmann::json& desired);
    void patch_tags(const nlohmann::json& patch);
    void replace_tags(const nlohmann::json& tags);

  private:
    nlohmann::json desired_ = nlohmann::json::object();
    nlohmann::json reported_ = nlohmann::json::object();
    nlohmann::json tags_ = nlohmann::json::object();
    int64_t desired_version_ = 1;
    int64_t reported_version_ = 1;
    int64_t version_ = 1;
};

// An empty string when `patch` can be applied to a twin section, else why not.
std::string twin_patch_error(const nlohmann::json& patch);

// Applies a merge patch in place: null removes a member, objects merge recursively.
void merge_patch(nlohmann::json& target, const nlohmann::json& patch);

}  // namespace hubsim
