#include "gateway/core/plugin_crashes.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "gateway/core/atomic_file.hpp"

namespace hubgate::core {

namespace {

std::string hex(std::uint64_t digest) {
    return fmt::format("{:016x}", digest);
}

// The records in `text`, or why it is unusable.
std::string parse(const std::string& text, std::deque<CrashRecord>& records) {
    const auto document = nlohmann::json::parse(text, nullptr, false);
    if (!document.is_object() || !document.contains("messages") ||
        !document["messages"].is_array()) {
        return "not a JSON object with a \"messages\" array";
    }
    for (const auto& entry : document["messages"]) {
        CrashRecord record;
        const auto digest = entry.value("digest", std::string());
        std::size_t used = 0;
        try {
            record.digest = std::stoull(digest, &used, 16);
        } catch (const std::exception&) {
            used = 0;
        }
        if (digest.empty() || used != digest.size()) {
            return "a message has no valid \"digest\"";
        }
        record.crashes = std::max(0, entry.value("crashes", 0));
        record.plugin = entry.value("plugin", std::string());
        record.hook = entry.value("hook", std::string());
        records.push_back(std::move(record));
    }
    while (records.size() > PluginCrashes::kMaxRecords) {
        records.pop_front();
    }
    return {};
}

}  // namespace

void PluginCrashes::load() {
    std::ifstream in(file_, std::ios::binary);
    if (!in) {
        return;
    }
    std::stringstream text;
    text << in.rdbuf();
    std::deque<CrashRecord> records;
    if (const auto problem = parse(text.str(), records); !problem.empty()) {
        const auto aside = std::filesystem::path(file_.string() + ".bad");
        std::error_code ec;
        std::filesystem::rename(file_, aside, ec);
        spdlog::error("state: {} is unusable ({}); moved to {}, plugin crash counts start again",
                      file_.string(), problem, aside.string());
        return;
    }
    records_ = std::move(records);
}

int PluginCrashes::count_crash(std::uint64_t digest, const std::string& plugin,
                               const std::string& hook) {
    auto it = std::find_if(records_.begin(), records_.end(),
                           [digest](const CrashRecord& r) { return r.digest == digest; });
    if (it == records_.end()) {
        if (records_.size() >= kMaxRecords) {
            records_.pop_front();
        }
        records_.push_back({digest, 0, {}, {}});
        it = std::prev(records_.end());
    }
    ++it->crashes;
    it->plugin = plugin;
    it->hook = hook;
    const int crashes = it->crashes;
    if (std::string error; !save(error)) {
        spdlog::error("state: cannot save plugin crash counts: {}", error);
    }
    return crashes;
}

const CrashRecord* PluginCrashes::find(std::uint64_t digest) const {
    const auto it = std::find_if(records_.begin(), records_.end(),
                                 [digest](const CrashRecord& r) { return r.digest == digest; });
    return it == records_.end() ? nullptr : &*it;
}

bool PluginCrashes::save(std::string& error) const {
    auto messages = nlohmann::json::array();
    for (const auto& record : records_) {
        messages.push_back({{"digest", hex(record.digest)},
                            {"crashes", record.crashes},
                            {"plugin", record.plugin},
                            {"hook", record.hook}});
    }
    const nlohmann::json document{{"messages", std::move(messages)}};
    return replace_file_atomically(
        file_, document.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n",
        error);
}

}  // namespace hubgate::core
