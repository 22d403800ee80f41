#pragma once
// Keeps a plugin that crashes on one local message from crash-looping the service.
//
// Before a local message enters a plugin's uplink hook, its digest and the plugin's name are
// noted in `<state dir>/in-hooks` (HooksMarker: stores into a shared mapping, no system call;
// measured on the build VM, note + clear per message: 0.004 us, against 2.6 us with two pwrites
// and 2.5 ms with a pwrite + fdatasync, which would cap plugin routes at ~400 messages/s). Only
// messages whose route runs an uplink hook are noted. A process that dies inside a hook (a
// crash, or the watchdog's kill of a hook that hangs) leaves the note behind; the next start
// counts one crash for that message in `<state dir>/plugin-crashes.json`. The local broker
// redelivers the message (its PUBACK never left); once it has taken the process down
// kCrashesToDeadLetter times, it is not given to the plugins again: it goes to
// `<state dir>/dead-letter/<digest>.json` with its topic, payload and the plugin's name, is
// logged once and counted, and is acknowledged to the local broker. A later message with the
// same topic and payload is poison too and is only counted.
//
// Threads: open() at start-up; everything else on the local link's thread (the only one that
// routes uplinks).

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "gateway/core/bridge_counters.hpp"
#include "gateway/core/dead_letter.hpp"
#include "gateway/core/guarded_hook.hpp"
#include "gateway/core/hooks_marker.hpp"
#include "gateway/core/plugin_crashes.hpp"

namespace hubgate::daemon {

// Crashes inside hooks a message may cause before it is dead-lettered.
inline constexpr int kCrashesToDeadLetter = 2;

enum class Screening {
    pass,           // not known poison: route it
    dead_lettered,  // kept in the dead-letter folder: acknowledge it, do not route it
    unavailable,    // poison, but the dead-letter file cannot be written: keep it unacknowledged
};

class PoisonGuard final : public HookEntryListener {
  public:
    PoisonGuard(const std::filesystem::path& state_dir, BridgeCounters& counters);
    ~PoisonGuard() override;

    // Maps the marker and reads the crash counts; a message the previous process left inside a
    // hook is counted (logged, BridgeCounters::plugin_crashes). False with `error` when the
    // state directory cannot hold the marker.
    bool open(std::string& error);

    // Before routing: whether this message has crashed the process often enough to be kept
    // out of the plugins.
    Screening screen(std::string_view topic, std::string_view payload);

    // From begin() to end(), a hook entry notes the message (`topic` and `payload` must stay
    // valid until end()).
    void begin(std::string_view topic, std::string_view payload);
    void entering(std::string_view plugin, std::string_view hook) override;
    void end();

  private:
    std::filesystem::path marker_file_;
    BridgeCounters& counters_;
    PluginCrashes crashes_;
    DeadLetters dead_letters_;
    std::unique_ptr<HooksMarker> marker_;
    std::set<std::uint64_t> reported_;  // dead-lettered digests this process has logged

    // The message between begin() and end().
    bool routing_ = false;
    std::string_view topic_;
    std::string_view payload_;
    std::optional<std::uint64_t> digest_;  // computed at the first hook entry
    bool noted_ = false;
};

// Notes the message in `guard` (when there is one) for the scope's life.
class HooksScope {
  public:
    HooksScope(PoisonGuard* guard, std::string_view topic, std::string_view payload)
        : guard_(guard) {
        if (guard_ != nullptr) {
            guard_->begin(topic, payload);
        }
    }
    ~HooksScope() {
        if (guard_ != nullptr) {
            guard_->end();
        }
    }
    HooksScope(const HooksScope&) = delete;
    HooksScope& operator=(const HooksScope&) = delete;

  private:
    PoisonGuard* guard_;
};

}  // namespace hubgate::daemon
