#pragma once
// A tiny file in the state directory saying which local message is inside which plugin hook
// right now, so that after a crash the next process knows which message took the last one down.
//
// The file is mapped shared (MAP_SHARED): noting a message is a few stores into the page cache,
// no system call. That is enough for what the marker is for: when a plugin crashes, or hangs
// and the watchdog has the process killed, the process dies but the kernel keeps the page, and
// the next process reads it. No fdatasync on the hot path on purpose: it would only protect the
// marker against a power cut, and a power cut during a hook says nothing against the message,
// while it would cost a disk flush per message (see poison_guard.hpp for the numbers).

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace hubgate::daemon {

// The message a previous process was running plugin hooks on when it died.
struct LeftInHooks {
    std::uint64_t digest = 0;  // spool::source_digest(topic, payload)
    std::string plugin;        // the instance name ([plugins.<name>])
    std::string hook;          // "derive_device_id" or "transform_uplink"
};

class HooksMarker {
  public:
    // Opens (creates) and maps `path`. `left` gets what the previous process left inside hooks,
    // if it died there. nullptr with `error` when the file cannot be used.
    static std::unique_ptr<HooksMarker> open(const std::filesystem::path& path,
                                             std::optional<LeftInHooks>& left, std::string& error);
    ~HooksMarker();
    HooksMarker(const HooksMarker&) = delete;
    HooksMarker& operator=(const HooksMarker&) = delete;

    // The message with `digest` enters `plugin`'s `hook` (names longer than the record keeps are
    // cut). Stores only.
    void enter(std::uint64_t digest, std::string_view plugin, std::string_view hook);
    // No message is in hooks any more.
    void leave();

  private:
    struct Record;
    HooksMarker(int fd, Record* record) : fd_(fd), record_(record) {}

    int fd_ = -1;
    Record* record_ = nullptr;
};

}  // namespace hubgate::daemon
