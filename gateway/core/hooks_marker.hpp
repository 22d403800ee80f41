#pragma once
// A tiny file in the state directory saying which message is inside which plugin hook right
// now, on each thread that runs hooks, so that after a crash the next process knows which
// message took the last one down.
//
// The file is mapped shared (MAP_SHARED): noting a message is a few stores into the page cache,
// no system call. That is enough for what the marker is for: when a plugin crashes, or hangs
// and the watchdog has the process killed, the process dies but the kernel keeps the page, and
// the next process reads it. No fdatasync on the hot path on purpose: it would only protect the
// marker against a power cut, and a power cut during a hook says nothing against the message,
// while it would cost a disk flush per message (see poison_guard.hpp for the numbers).
//
// The page has kSlots records, one per thread that runs hooks (the local link's for uplinks,
// the session manager's and the deferred work thread's for downlinks, the main thread's at
// start-up): each slot is written by one thread only, so no lock is needed.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace hubgate::core {

// The message a previous process was running plugin hooks on when it died.
struct LeftInHooks {
    std::uint64_t digest = 0;  // PoisonGuard's digest of the message
    std::string plugin;        // the instance name ([plugins.<name>])
    std::string hook;          // "derive_device_id", "transform_uplink" or "transform_downlink"
};

class HooksMarker {
  public:
    // Threads that can note a message at the same time.
    static constexpr std::size_t kSlots = 8;

    // Opens (creates) and maps `path`. `left` gets what the previous process left inside hooks,
    // on any thread, if it died there. nullptr with `error` when the file cannot be used.
    static std::unique_ptr<HooksMarker> open(const std::filesystem::path& path,
                                             std::vector<LeftInHooks>& left, std::string& error);
    ~HooksMarker();
    HooksMarker(const HooksMarker&) = delete;
    HooksMarker& operator=(const HooksMarker&) = delete;

    // In `slot` (< kSlots, one thread's), the message with `digest` enters `plugin`'s `hook`
    // (names longer than the record keeps are cut). Stores only.
    void enter(std::size_t slot, std::uint64_t digest, std::string_view plugin,
               std::string_view hook);
    // The message of `slot` is out of hooks.
    void leave(std::size_t slot);

  private:
    struct Record;
    struct Page;
    HooksMarker(int fd, Page* page) : fd_(fd), page_(page) {}

    int fd_ = -1;
    Page* page_ = nullptr;
};

}  // namespace hubgate::core
