#pragma once
// Keeps a plugin that crashes on one message from crash-looping the service, both ways: local
// messages on their way up, and downlinks from the hub (C2D messages and desired changes are
// journaled and handed to the plugins again after a restart, so a C2D message that crashes a
// downlink hook would otherwise crash every start).
//
// Before a message enters a plugin hook, its digest and the plugin's name are noted in
// `<state dir>/in-hooks` (HooksMarker: stores into a shared mapping, no system call; measured on
// the build VM, note + clear per message: 0.004 us, against 2.6 us with two pwrites and 2.5 ms
// with a pwrite + fdatasync, which would cap plugin routes at ~400 messages/s). Only messages
// whose route runs a hook are noted. A process that dies inside a hook (a crash, or the
// watchdog's kill of a hook that hangs) leaves the note behind; the next start counts one crash
// for that message in `<state dir>/plugin-crashes.json`. The message comes back (the local
// broker redelivers an uplink whose PUBACK never left; the C2D journal publishes a kept C2D
// message again; the desired state is published again from the state directory); once it has
// taken the process down kCrashesToDeadLetter times, it is not given to the plugins again: it
// goes to `<state dir>/dead-letter/<digest>.json` with its kind, topic, payload and the
// plugin's name, is logged once and counted, and the caller lets it go (an uplink is
// acknowledged locally, a C2D message's journal entry released, a method call answered with an
// error). A later message with the same content is poison too and is only counted.
//
// What is "the same message": an uplink's local topic and payload; a downlink's kind, device id
// and payload, which is all a downlink hook sees (so the hub's next C2D message with the same
// payload for the same device is known poison too, and a method call's name does not count).
//
// Threads: open() at start-up; the rest on any thread that runs hooks (the local link's for
// uplinks; the session manager's, the deferred work thread's and, at start-up, the main
// thread's for downlinks). Each thread notes its message in a slot of its own.

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "gateway/core/bridge_counters.hpp"
#include "gateway/core/dead_letter.hpp"
#include "gateway/core/guarded_hook.hpp"
#include "gateway/core/hooks_marker.hpp"
#include "gateway/core/plugin_crashes.hpp"

namespace hubgate::core {

// Crashes inside hooks a message may cause before it is dead-lettered.
inline constexpr int kCrashesToDeadLetter = 2;

enum class Screening {
    pass,           // not known poison: route it
    dead_lettered,  // kept in the dead-letter folder: let it go (acknowledge it), do not route it
    unavailable,    // poison, but the dead-letter file cannot be written: keep it for later
};

// The digest a message is known by (see above).
std::uint64_t hooked_digest(const HookedMessage& message);

class PoisonGuard final : public HookEntryListener {
  public:
    PoisonGuard(const std::filesystem::path& state_dir, BridgeCounters& counters);
    ~PoisonGuard() override;

    // Maps the marker and reads the crash counts; each message the previous process left inside
    // a hook is counted (logged, BridgeCounters::plugin_crashes). False with `error` when the
    // state directory cannot hold the marker.
    bool open(std::string& error);

    // Before routing: whether this message has crashed the process often enough to be kept
    // out of the plugins.
    Screening screen(const HookedMessage& message);
    Screening screen(std::string_view topic, std::string_view payload) {
        return screen(HookedMessage::uplink(topic, payload));
    }

    // From begin() to end() on one thread, a hook entry on that thread notes the message (its
    // views must stay valid until end()).
    void begin(const HookedMessage& message);
    void begin(std::string_view topic, std::string_view payload) {
        begin(HookedMessage::uplink(topic, payload));
    }
    void entering(std::string_view plugin, std::string_view hook) override;
    void end();

  private:
    struct Lane;
    // This thread's lane, claimed from this guard on first use.
    Lane& lane();

    std::filesystem::path marker_file_;
    BridgeCounters& counters_;
    PluginCrashes crashes_;  // written by open() only
    DeadLetters dead_letters_;
    std::unique_ptr<HooksMarker> marker_;
    // Tells this guard's lanes from those an earlier guard left in the same threads.
    const std::uint64_t id_;
    std::atomic<std::size_t> next_slot_{0};
    std::atomic<bool> out_of_slots_logged_{false};
    std::mutex reported_mutex_;
    std::set<std::uint64_t> reported_;  // dead-lettered digests this process has logged
};

// Notes the message in `guard` (when there is one) for the scope's life, on this thread.
class HooksScope {
  public:
    HooksScope(PoisonGuard* guard, const HookedMessage& message) : guard_(guard) {
        if (guard_ != nullptr) {
            guard_->begin(message);
        }
    }
    HooksScope(PoisonGuard* guard, std::string_view topic, std::string_view payload)
        : HooksScope(guard, HookedMessage::uplink(topic, payload)) {}
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

}  // namespace hubgate::core
