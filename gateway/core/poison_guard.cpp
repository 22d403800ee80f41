#include "gateway/core/poison_guard.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <system_error>
#include <vector>

#include "gateway/spool/spool_message.hpp"

namespace hubgate::core {

namespace {

// Guards get ids of their own, so a thread's lane of a guard that is gone is never taken for
// the lane of a new one (which may live at the same address).
std::atomic<std::uint64_t> next_guard_id{1};

}  // namespace

// One thread's message between begin() and end().
struct PoisonGuard::Lane {
    std::uint64_t guard_id = 0;
    std::optional<std::size_t> slot;  // none: every marker slot is taken (logged once)
    bool routing = false;
    HookedMessage message;
    std::optional<std::uint64_t> digest;  // computed at the first hook entry
    bool noted = false;
};

std::uint64_t hooked_digest(const HookedMessage& message) {
    if (!message.downlink()) {
        return spool::source_digest(message.topic, message.payload);
    }
    // NUL cannot be in an MQTT topic: no local topic has the digest of a downlink.
    std::string key("\0downlink\0", 10);
    key.append(message.kind);
    key.push_back('\0');
    key.append(message.device_id);
    return spool::source_digest(key, message.payload);
}

PoisonGuard::PoisonGuard(const std::filesystem::path& state_dir, BridgeCounters& counters)
    : marker_file_(state_dir / "in-hooks"),
      counters_(counters),
      crashes_(state_dir / "plugin-crashes.json"),
      dead_letters_(state_dir / "dead-letter"),
      id_(next_guard_id.fetch_add(1)) {}

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
    std::vector<LeftInHooks> left;
    marker_ = HooksMarker::open(marker_file_, left, error);
    if (!marker_) {
        error = "plugin crash guard: " + error;
        return false;
    }
    for (const auto& message : left) {
        ++counters_.plugin_crashes;
        const int crashes = crashes_.count_crash(message.digest, message.plugin, message.hook);
        spdlog::error(
            "the last run of hubgate died inside plugin '{}' ({}) on a message (digest {:016x}): "
            "crash {} on that message; after {} it goes to {} instead of the plugins",
            message.plugin, message.hook, message.digest, crashes, kCrashesToDeadLetter,
            dead_letters_.dir().string());
    }
    return true;
}

Screening PoisonGuard::screen(const HookedMessage& message) {
    if (crashes_.empty()) {
        return Screening::pass;  // the usual case: no digest to compute
    }
    const auto digest = hooked_digest(message);
    const CrashRecord* crash = crashes_.find(digest);
    if (crash == nullptr || crash->crashes < kCrashesToDeadLetter) {
        return Screening::pass;
    }
    const std::string what =
        message.downlink() ? fmt::format("a {} downlink for {}", message.kind, message.device_id)
                           : fmt::format("a message from '{}'", message.topic);
    std::filesystem::path path;
    std::string error;
    if (!dead_letters_.keep(message, *crash, path, error)) {
        spdlog::error(
            "plugin '{}' crashed hubgate {} times on {}, but it cannot be moved to the "
            "dead-letter folder ({}); it is kept {}",
            crash->plugin, crash->crashes, what, error,
            message.downlink() ? "for the next start" : "by the local broker");
        return Screening::unavailable;
    }
    ++(message.downlink() ? counters_.downlinks_dead_lettered : counters_.dead_lettered);
    bool first = false;
    {
        std::lock_guard lock(reported_mutex_);
        first = reported_.insert(digest).second;
    }
    if (first) {
        spdlog::error(
            "plugin '{}' crashed hubgate {} times ({}) on {} ({} bytes): not given to the plugins "
            "again; kept in {}{}",
            crash->plugin, crash->crashes, crash->hook, what, message.payload.size(), path.string(),
            message.downlink() ? "" : " and acknowledged to the local broker");
    }
    return Screening::dead_lettered;
}

PoisonGuard::Lane& PoisonGuard::lane() {
    thread_local Lane lane;
    if (lane.guard_id != id_) {
        lane = Lane{};
        lane.guard_id = id_;
        if (const auto slot = next_slot_.fetch_add(1); slot < HooksMarker::kSlots) {
            lane.slot = slot;
        } else if (!out_of_slots_logged_.exchange(true)) {
            spdlog::warn(
                "plugin crash guard: more than {} threads run plugin hooks; messages in hooks on "
                "the others are not noted",
                HooksMarker::kSlots);
        }
    }
    return lane;
}

void PoisonGuard::begin(const HookedMessage& message) {
    Lane& current = lane();
    current.routing = true;
    current.message = message;
    current.digest.reset();
    current.noted = false;
}

void PoisonGuard::entering(std::string_view plugin, std::string_view hook) {
    Lane& current = lane();
    if (!current.routing || !marker_ || !current.slot) {
        return;  // a hook run outside a HooksScope (none today), or no slot for this thread
    }
    if (!current.digest) {
        current.digest = hooked_digest(current.message);
    }
    marker_->enter(*current.slot, *current.digest, plugin, hook);
    current.noted = true;
}

void PoisonGuard::end() {
    Lane& current = lane();
    if (current.noted && marker_ && current.slot) {
        marker_->leave(*current.slot);
    }
    current.routing = false;
    current.noted = false;
}

}  // namespace hubgate::core
