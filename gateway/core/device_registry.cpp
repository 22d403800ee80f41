#include "gateway/core/device_registry.hpp"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include <fstream>
#include <mutex>
#include <sstream>
#include <system_error>

#include "gateway/core/atomic_file.hpp"

namespace hubgate::core {

DeviceRegistry::DeviceRegistry(std::filesystem::path state_dir)
    : dir_(std::move(state_dir)), file_(dir_ / "devices.json") {}

bool DeviceRegistry::load(std::string& error) {
    std::error_code ec;
    std::filesystem::create_directories(dir_, ec);
    if (ec) {
        error = "cannot create state directory " + dir_.string() + ": " + ec.message();
        return false;
    }
    std::ifstream in(file_, std::ios::binary);
    if (!in) {
        return true;  // first start: nothing remembered yet
    }
    std::stringstream text;
    text << in.rdbuf();
    auto parsed = mappings::DeviceDirectory::deserialize(text.str());
    std::unique_lock lock(mutex_);
    if (auto* directory = std::get_if<mappings::DeviceDirectory>(&parsed)) {
        directory_ = std::move(*directory);
        spdlog::info("state: {} known devices from {}", directory_.size(), file_.string());
        return true;
    }
    const auto aside = std::filesystem::path(file_.string() + ".bad");
    std::filesystem::rename(file_, aside, ec);
    spdlog::error("state: {} is unusable ({}); moved to {}, starting with no known devices",
                  file_.string(), std::get<std::string>(parsed), aside.string());
    return true;
}

void DeviceRegistry::remember(const mappings::UplinkRoute& route) {
    {
        // Most messages come from known devices: check under the shared lock first.
        std::shared_lock lock(mutex_);
        const auto* known = directory_.find(route.device_id);
        // Method replies and twin requests capture per-request values ({rid}, {status}): they
        // only introduce a device, or the file would be rewritten on every request.
        const bool per_request = route.kind == mappings::UplinkKind::method_reply ||
                                 route.kind == mappings::UplinkKind::twin_get;
        if (known != nullptr && per_request) {
            return;
        }
        if (known != nullptr && known->device_class == route.device_class &&
            known->captures.size() == route.captures.size()) {
            bool same = true;
            for (std::size_t i = 0; i < route.captures.size() && same; ++i) {
                same = known->captures[i].first == route.captures[i].name &&
                       known->captures[i].second == route.captures[i].value;
            }
            if (same) {
                return;
            }
        }
    }
    std::unique_lock lock(mutex_);
    if (directory_.remember(route)) {
        dirty_ = true;
    }
}

bool DeviceRegistry::save() {
    // Cleared before the copy: a device remembered meanwhile (on another thread) is either in
    // the copy or marks the registry dirty again for the next save.
    if (!dirty_.exchange(false)) {
        return true;
    }
    std::string text;
    {
        // Only the copy is made under the lock: the downlink path must not wait for the disk.
        std::shared_lock lock(mutex_);
        text = directory_.serialize();
    }
    std::string error;
    if (!replace_file_atomically(file_, text, error)) {
        if (error != last_save_error_) {
            spdlog::error(
                "state: cannot save known devices (trying again with the next "
                "messages): {}",
                error);
            last_save_error_ = error;
        }
        dirty_ = true;
        return false;
    }
    if (!last_save_error_.empty()) {
        spdlog::info("state: known devices saved again to {}", file_.string());
        last_save_error_.clear();
    }
    return true;
}

void DeviceRegistry::read(const std::function<void(const mappings::DeviceDirectory&)>& fn) const {
    std::shared_lock lock(mutex_);
    fn(directory_);
}

std::vector<std::string> DeviceRegistry::device_ids() const {
    std::shared_lock lock(mutex_);
    std::vector<std::string> ids;
    const auto document = nlohmann::json::parse(directory_.serialize(), nullptr, false);
    if (document.is_object() && document.contains("devices")) {
        for (const auto& [id, record] : document["devices"].items()) {
            ids.push_back(id);
        }
    }
    return ids;
}

std::size_t DeviceRegistry::size() const {
    std::shared_lock lock(mutex_);
    return directory_.size();
}

}  // namespace hubgate::core
