#include "gateway/core/poison_guard.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <system_error>

#include "gateway/spool/spool_message.hpp"

namespace hubgate::daemon {

PoisonGuard::PoisonGuard(const std::filesystem::path& state_dir, BridgeCounters& counters)
    : marker_file_(state_dir / "in-hooks"),
      counters_(counters),
      crashes_(state_dir / "plugin-crashes.json"),
      dead_letters_(state_dir / "dead-letter") {}

PoisonGuard::~PoisonGuard() = default;

bool PoisonGuard::open(std::string& error) {
    std::error_code ec;
    std::filesystem::create_directories(marker_file_.parent_path(), ec);
    if (ec) {
        error = "cannot create state directory " + marker_file_.parent_path().string() + ": " +
                ec.message();
        return false;
    }
    crashes_.load();
    std::optional<LeftInHooks> left;
    marker_ = HooksMarker::open(marker_file_, left, error);
    if (!marker_) {
        error = "plugin crash guard: " + error;
        return false;
    }
    if (left) {
        ++counters_.plugin_crashes;
        const int crashes = crashes_.count_crash(left->digest, left->plugin, left->hook);
        spdlog::error(
            "the last run of hubgate died inside plugin '{}' ({}) on a local message (digest "
            "{:016x}): crash {} on that message; after {} it goes to {} instead of the plugins",
            left->plugin, left->hook, left->digest, crashes, kCrashesToDeadLetter,
            dead_letters_.dir().string());
    }
    return true;
}

Screening PoisonGuard::screen(std::string_view topic, std::string_view payload) {
    if (crashes_.empty()) {
        return Screening::pass;  // the usual case: no digest to compute
    }
    const auto digest = spool::source_digest(topic, payload);
    const CrashRecord* crash = crashes_.find(digest);
    if (crash == nullptr || crash->crashes < kCrashesToDeadLetter) {
        return Screening::pass;
    }
    std::filesystem::path path;
    std::string error;
    if (!dead_letters_.keep(topic, payload, *crash, path, error)) {
        spdlog::error(
            "plugin '{}' crashed hubgate {} times on a message from '{}', but it cannot be moved "
            "to the dead-letter folder ({}); it stays with the local broker",
            crash->plugin, crash->crashes, topic, error);
        return Screening::unavailable;
    }
    ++counters_.dead_lettered;
    if (reported_.insert(digest).second) {
        spdlog::error(
            "plugin '{}' crashed hubgate {} times ({}) on a message from '{}' ({} bytes): not "
            "given to the plugins again; kept in {} and acknowledged to the local broker",
            crash->plugin, crash->crashes, crash->hook, topic, payload.size(), path.string());
    }
    return Screening::dead_lettered;
}

void PoisonGuard::begin(std::string_view topic, std::string_view payload) {
    routing_ = true;
    topic_ = topic;
    payload_ = payload;
    digest_.reset();
    noted_ = false;
}

void PoisonGuard::entering(std::string_view plugin, std::string_view hook) {
    if (!routing_ || !marker_) {
        return;  // a hook run outside UplinkPipeline::handle (none today)
    }
    if (!digest_) {
        digest_ = spool::source_digest(topic_, payload_);
    }
    marker_->enter(*digest_, plugin, hook);
    noted_ = true;
}

void PoisonGuard::end() {
    if (noted_ && marker_) {
        marker_->leave();
    }
    routing_ = false;
    noted_ = false;
}

}  // namespace hubgate::daemon
