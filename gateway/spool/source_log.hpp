#pragma once
// sources.log: the recent-sources window (recent_sources.hpp) on disk, so that a message the
// local broker redelivers after a crash is recognised even when its record is gone (acknowledged
// upstream and its segment deleted). One entry per stored message:
//   packet_id u32 | digest u64 | seq u64 | mid length u8 | mid | crc32 u32 (of what precedes)
// Entries are gathered in memory (add) and written together (flush, no sync): a process killed
// loses nothing that reached the page cache. The spool syncs the log before it deletes a segment
// (sync), so a power loss cannot lose both a record and its entry. A damaged entry ends the
// readable part (the rest is cut off): losing entries only costs duplicates with new ids, as
// before this log existed. Rewritten (write-rename) to the current window when it grows past
// twice its capacity, and emptied when the broker starts a new session.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gateway/spool/recent_sources.hpp"
#include "gateway/spool/segment_file.hpp"

namespace hubgate::spool {

class SourceLog {
  public:
    // What open() found.
    struct Contents {
        std::vector<RecentSources::Entry> entries;
        std::uint64_t damaged_bytes = 0;  // cut off after the last valid entry
    };

    // Opens (or creates) the log at `path` and reads its valid entries, in file order.
    static std::optional<SourceLog> open(const std::filesystem::path& path, Contents& contents,
                                         std::string& error);

    // Entries gathered in memory, encoded, not yet in the file.
    struct Pending {
        std::string bytes;
        std::uint64_t count = 0;
    };

    // Gathers one entry for a later write().
    void add(const RecentSources::Entry& entry);
    // Moves the gathered entries out, so that the caller can write them without its lock.
    Pending take_pending() { return std::exchange(pending_, {}); }
    // Appends gathered entries at the end of the file (one write, no sync).
    bool write(const Pending& pending, std::string& error);
    bool sync(std::string& error) { return file_.sync(error); }
    // Replaces the file with a floor entry (packet id 0, seq `floor`: see RecentSources::forget)
    // and `entries` (temporary file, fsync, rename, directory fsync).
    bool rewrite(std::uint64_t floor, const std::vector<RecentSources::Entry>& entries,
                 std::string& error);
    // Entries in the file (written ones; not the pending ones).
    std::uint64_t entries_written() const { return entries_written_; }

  private:
    SourceLog(std::filesystem::path path, SegmentFile file, std::uint64_t entries)
        : path_(std::move(path)), file_(std::move(file)), entries_written_(entries) {}

    std::filesystem::path path_;
    SegmentFile file_;
    std::uint64_t entries_written_ = 0;
    Pending pending_;
};

}  // namespace hubgate::spool
