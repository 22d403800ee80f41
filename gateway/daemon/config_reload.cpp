#include "gateway/daemon/config_reload.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <array>
#include <string_view>

#include "gateway/daemon/bridge.hpp"

namespace hubgate::daemon {

namespace {

// What a reload applies; every other top-level key needs a restart.
constexpr std::array<std::string_view, 3> kReloadable = {"mappings", "plugins", "log"};

bool reloadable(std::string_view key) {
    return std::find(kReloadable.begin(), kReloadable.end(), key) != kReloadable.end();
}

// The file as a TOML table; empty when it cannot be parsed (load_config has said why).
toml::table parse_table(const std::filesystem::path& file) {
    try {
        return toml::parse_file(file.string());
    } catch (const toml::parse_error&) {
        return {};
    }
}

}  // namespace

ConfigReloader::ConfigReloader(const config::Config& running)
    : file_(running.source_file),
      in_force_(parse_table(running.source_file)),
      log_level_(running.log.level) {}

std::vector<std::string> ConfigReloader::restart_only_changes(const toml::table& in_force,
                                                              const toml::table& next) {
    std::vector<std::string> changed;
    auto differs = [&](std::string_view key) {
        const toml::node* before = in_force.get(key);
        const toml::node* after = next.get(key);
        if (before == nullptr || after == nullptr) {
            return before != after;
        }
        // toml++ compares tables, not bare nodes: each side goes into a one-key table.
        toml::table lhs;
        toml::table rhs;
        lhs.insert(key, *before);
        rhs.insert(key, *after);
        return lhs != rhs;
    };
    for (const auto& [key, value] : in_force) {
        if (!reloadable(key.str()) && differs(key.str())) {
            changed.emplace_back(key.str());
        }
    }
    for (const auto& [key, value] : next) {
        if (!reloadable(key.str()) && in_force.get(key.str()) == nullptr) {
            changed.emplace_back(key.str());
        }
    }
    return changed;
}

bool ConfigReloader::reload(Bridge& bridge) {
    spdlog::info("reload: reading {}", file_.string());
    auto loaded = config::load_config(file_);
    if (!loaded.ok()) {
        for (const auto& diagnostic : loaded.diagnostics) {
            spdlog::error("reload: {}", config::format_diagnostic(diagnostic));
        }
        spdlog::error("reload refused: the configuration in force stays");
        return false;
    }
    std::vector<std::string> errors;
    if (!bridge.reload_mappings(loaded.config, errors)) {
        for (const auto& error : errors) {
            spdlog::error("reload: {}", error);
        }
        spdlog::error("reload refused: the mappings and plugins in force stay");
        return false;
    }
    auto next = parse_table(file_);
    const auto waiting = restart_only_changes(in_force_, next);
    if (!waiting.empty()) {
        spdlog::warn("reload: changes to {} take effect at the next restart",
                     fmt::join(waiting, ", "));
    }
    // Only what was applied moves into in_force_: the other changes are reported again at the
    // next reload, until a restart.
    for (const auto key : kReloadable) {
        in_force_.erase(key);
        if (const toml::node* value = next.get(key)) {
            in_force_.insert(key, *value);
        }
    }
    // Only a changed level is applied, so a --log-level given at start survives a reload that
    // does not touch [log].
    if (loaded.config.log.level != log_level_) {
        log_level_ = loaded.config.log.level;
        spdlog::set_level(spdlog::level::from_str(log_level_));
        spdlog::info("reload: log level {}", log_level_);
    }
    spdlog::info("reload: done");
    return true;
}

}  // namespace hubgate::daemon
