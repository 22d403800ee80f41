#include "gateway/daemon/assignment_files.hpp"

#include <spdlog/spdlog.h>

#include <fstream>
#include <sstream>
#include <system_error>

#include "gateway/core/atomic_file.hpp"
#include "hubgate/iothub/dps_credentials.hpp"

namespace hubgate::daemon {

namespace {
constexpr std::string_view kSuffix = ".json";
}  // namespace

AssignmentFiles::AssignmentFiles(std::filesystem::path state_dir)
    : dir_(std::move(state_dir) / "provisioning") {}

bool AssignmentFiles::load(std::string& error) {
    std::error_code ec;
    std::filesystem::create_directories(dir_, ec);
    if (ec) {
        error = "cannot create " + dir_.string() + ": " + ec.message();
        return false;
    }
    std::filesystem::directory_iterator entries(dir_, ec);
    if (ec) {
        error = "cannot read " + dir_.string() + ": " + ec.message();
        return false;
    }
    std::lock_guard lock(mutex_);
    for (const auto& entry : entries) {
        const auto path = entry.path();
        if (path.extension() != kSuffix)
            continue;  // .bad files, temporary files of an interrupted write
        std::ifstream in(path);
        std::stringstream text;
        text << in.rdbuf();
        const auto document = nlohmann::json::parse(text.str(), nullptr, false);
        auto assignment = provisioning::assignment_from_json(document);
        if (!assignment || assignment->registration_id != path.stem().string()) {
            auto aside = path;
            aside += ".bad";
            std::filesystem::rename(path, aside, ec);
            spdlog::warn(
                "provisioning: {} is not a complete assignment; moved aside, the "
                "device registers again",
                path.string());
            continue;
        }
        kept_[assignment->registration_id] = std::move(*assignment);
    }
    return true;
}

std::optional<provisioning::Assignment> AssignmentFiles::find(const std::string& registration_id) {
    std::lock_guard lock(mutex_);
    const auto found = kept_.find(registration_id);
    if (found == kept_.end())
        return std::nullopt;
    return found->second;
}

bool AssignmentFiles::save(const provisioning::Assignment& assignment, std::string& error) {
    if (!iothub::valid_registration_id(assignment.registration_id)) {
        error = "not a valid registration id";
        return false;
    }
    const auto path = dir_ / (assignment.registration_id + std::string(kSuffix));
    std::lock_guard lock(mutex_);
    if (!core::replace_file_atomically(path, provisioning::to_json(assignment).dump(2) + "\n",
                                       error))
        return false;
    kept_[assignment.registration_id] = assignment;
    return true;
}

}  // namespace hubgate::daemon
