#pragma once
// The clock message age (the TTL) is measured on.
//
// Gateways often have no real-time clock: the wall clock starts at 1970 or at the last shutdown
// and then steps by days or weeks when NTP answers. An age measured on it would expire a whole
// spool at once (or keep it forever). This clock advances with the monotonic clock while a
// process runs; after a restart it resumes where the previous process left it: the value saved
// in the spool's `clock` file (by tidy(), about once a second, and at close), and never below the
// newest stamp of a recovered record. Time while hubgate is not running therefore does not age a
// message: a gateway without a real-time clock cannot measure it. A directory without a clock
// file starts from the wall clock, so stamps written by older versions (wall time) still compare.
// Record stamps (SpooledMessage::enqueued) are on this clock.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

namespace hubgate::spool {

// Milliseconds of "spool time" (see above). Thread-safe once started.
class SpoolClock {
  public:
    using WallSource = std::function<std::chrono::system_clock::time_point()>;
    using MonotonicSource = std::function<std::chrono::steady_clock::time_point()>;

    SpoolClock(std::filesystem::path file, WallSource wall, MonotonicSource monotonic);

    // Starts counting from the saved value (a missing or damaged file counts as none), or from
    // the newest record stamp if that is later, or from the wall clock if there is neither.
    void start(std::optional<std::int64_t> newest_stamp_ms);
    std::int64_t now_ms() const;
    // Writes now_ms() to the file, unsynced: a value lost in a power cut only makes messages
    // look younger, never older. Does nothing before start().
    bool save(std::string& error) const;

  private:
    std::optional<std::int64_t> load() const;

    std::filesystem::path file_;
    WallSource wall_;
    MonotonicSource monotonic_;
    std::int64_t base_ms_ = 0;
    std::optional<std::chrono::steady_clock::time_point> started_;
};

}  // namespace hubgate::spool
