#include "gateway/core/desired_state_store.hpp"

#include <spdlog/spdlog.h>

#include <fstream>
#include <sstream>
#include <system_error>

#include "gateway/core/atomic_file.hpp"

namespace hubgate::core {

namespace {

using nlohmann::json;

constexpr std::string_view kSuffix = ".json";

bool plain_file_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

int hex_value(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

// Device ids may hold '.', '%', ':' and more: everything but [A-Za-z0-9_-] is written as %XX,
// so "." and ".." become "%2E" and "%2E%2E" and no name is special to the file system.
std::string encode_file_name(std::string_view device_id) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (const char c : device_id) {
        if (plain_file_char(c)) {
            out += c;
        } else {
            const auto byte = static_cast<unsigned char>(c);
            out += '%';
            out += kHex[byte >> 4];
            out += kHex[byte & 0xF];
        }
    }
    return out;
}

}  // namespace

std::int64_t desired_version(const json& document) {
    const auto found = document.find("$version");
    if (found == document.end() || !found->is_number_integer()) {
        return 0;
    }
    return found->get<std::int64_t>();
}

DesiredStateStore::DesiredStateStore(std::filesystem::path state_dir)
    : dir_(std::move(state_dir) / "desired") {}

std::filesystem::path DesiredStateStore::file_of(std::string_view device_id) const {
    return dir_ / (encode_file_name(device_id) + std::string(kSuffix));
}

std::optional<std::string> DesiredStateStore::device_of(std::string_view file_name) {
    if (file_name.size() <= kSuffix.size() || !file_name.ends_with(kSuffix)) {
        return std::nullopt;
    }
    file_name.remove_suffix(kSuffix.size());
    std::string id;
    for (std::size_t i = 0; i < file_name.size(); ++i) {
        const char c = file_name[i];
        if (plain_file_char(c)) {
            id += c;
            continue;
        }
        if (c != '%' || i + 2 >= file_name.size()) {
            return std::nullopt;
        }
        const int high = hex_value(file_name[i + 1]);
        const int low = hex_value(file_name[i + 2]);
        if (high < 0 || low < 0) {
            return std::nullopt;
        }
        id += static_cast<char>(high * 16 + low);
        i += 2;
    }
    return id;
}

bool DesiredStateStore::load(std::string& error) {
    std::error_code ec;
    std::filesystem::create_directories(dir_, ec);
    if (ec) {
        error = "cannot create " + dir_.string() + ": " + ec.message();
        return false;
    }
    std::filesystem::directory_iterator files(dir_, ec);
    if (ec) {
        error = "cannot read " + dir_.string() + ": " + ec.message();
        return false;
    }
    std::lock_guard lock(mutex_);
    for (const auto& entry : files) {
        const auto name = entry.path().filename().string();
        const auto device_id = device_of(name);
        if (!device_id) {
            continue;  // a temporary file of an interrupted write, or a file set aside
        }
        std::ifstream in(entry.path(), std::ios::binary);
        std::stringstream text;
        text << in.rdbuf();
        auto document = json::parse(text.str(), nullptr, false);
        if (!in || document.is_discarded() || !document.is_object()) {
            const auto aside = std::filesystem::path(entry.path().string() + ".bad");
            std::filesystem::rename(entry.path(), aside, ec);
            spdlog::error("state: {} is not a desired-properties document; moved to {}",
                          entry.path().string(), aside.string());
            continue;
        }
        states_[*device_id] = std::move(document);
    }
    if (!states_.empty()) {
        spdlog::info("state: desired properties of {} devices from {}", states_.size(),
                     dir_.string());
    }
    return true;
}

DesiredApplied DesiredStateStore::apply(const session::DesiredUpdate& update) {
    std::lock_guard lock(mutex_);
    DesiredApplied applied;
    const auto known = states_.find(update.device_id);
    json next;
    if (update.complete) {
        // The hub's whole document wins, whatever its version: a twin that was deleted and
        // created again starts counting afresh.
        next = update.desired;
        next["$version"] = update.version;
        if (known != states_.end() && known->second == next) {
            applied.state = known->second;
            return applied;
        }
    } else {
        if (known != states_.end() && update.version <= desired_version(known->second)) {
            applied.outcome = DesiredOutcome::stale;
            applied.state = known->second;
            return applied;
        }
        next = known != states_.end() ? known->second : json::object();
        next.merge_patch(update.desired);
        next["$version"] = update.version;
    }
    applied.outcome = DesiredOutcome::changed;
    applied.persisted = persist(update.device_id, next);
    applied.state = next;
    states_[update.device_id] = std::move(next);
    return applied;
}

bool DesiredStateStore::persist(const std::string& device_id, const json& state) {
    std::string error;
    if (replace_file_atomically(file_of(device_id), state.dump(), error)) {
        if (!last_error_.empty()) {
            spdlog::info("state: desired properties written again to {}", dir_.string());
            last_error_.clear();
        }
        return true;
    }
    if (error != last_error_) {
        spdlog::error(
            "state: cannot keep desired properties on disk (they are published, but a "
            "restart before the next change would not find them): {}",
            error);
        last_error_ = error;
    }
    return false;
}

std::vector<std::pair<std::string, json>> DesiredStateStore::all() const {
    std::lock_guard lock(mutex_);
    return {states_.begin(), states_.end()};
}

std::optional<json> DesiredStateStore::state_of(std::string_view device_id) const {
    std::lock_guard lock(mutex_);
    const auto found = states_.find(device_id);
    if (found == states_.end()) {
        return std::nullopt;
    }
    return found->second;
}

}  // namespace hubgate::core
