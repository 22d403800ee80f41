#pragma once
// The ack log: one fixed-size entry (seq u64 | crc32 u32) per record the hub acknowledged or the
// TTL dropped. Appended without fsync: losing its tail in a crash only means those messages are
// sent again (with the same $.mid), which at-least-once allows. For the same reason entries are
// gathered in memory (add) and written together (flush): one write per batch of acks instead of
// one per message. Rewritten (atomically, by rename) to drop entries whose segments are gone.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "gateway/spool/segment_file.hpp"

namespace hubgate::spool {

// Append-only list of finished sequence numbers.
class AckLog {
  public:
    static constexpr std::size_t kEntrySize = 12;

    // What open() found in an existing log.
    struct Contents {
        std::vector<std::uint64_t> seqs;
        std::uint64_t bad_entries = 0;  // entries with a wrong checksum (skipped)
        std::uint64_t torn_bytes = 0;   // a partial entry at the end (cut off)
    };

    // Keeps about this many bytes allocated past the log's end (SegmentFile::reserve): a full
    // disk then does not stop the acks of the next few thousand messages from being written.
    static constexpr std::uint64_t kReserveBytes = 64 * 1024;

    // Opens (or creates) the log at `path` and reads every valid entry.
    // `fault` (tests) may fail its writes.
    static std::optional<AckLog> open(const std::filesystem::path& path, Contents& contents,
                                      std::string& error, FaultHook fault = {});

    // Gathers one entry; nothing is written until flush().
    void add(std::uint64_t seq);
    // Writes the gathered entries in one write. On failure (a full disk) the file is cut back
    // and they stay gathered, in order, for the next flush: the log on disk always holds the
    // acks in the order they were given, up to some point. A crash while some are unwritten then
    // sends again a tail of what the hub acknowledged, oldest first, never an older message
    // after a newer one (which, for reported properties, would leave the twin at the old value).
    bool flush(std::string& error);
    // Entries gathered and not yet written.
    std::size_t unwritten() const { return pending_.size() / kEntrySize; }
    // Replaces the whole log with exactly `seqs` (both steps below, then a directory sync).
    bool rewrite(const std::vector<std::uint64_t>& seqs, std::string& error);
    // A rewrite in two steps, so that the slow part can run while appends go on to the current
    // log: write_compacted() writes `seqs` to a new file next to the log and syncs it;
    // install() adds `late` (entries appended meanwhile) to it and renames it over the log, which
    // appends then go to. The caller syncs the directory afterwards. Entries gathered but not
    // yet flushed are dropped: the caller's `seqs` and `late` must cover them.
    std::optional<SegmentFile> write_compacted(const std::vector<std::uint64_t>& seqs,
                                               std::string& error) const;
    bool install(SegmentFile fresh, const std::vector<std::uint64_t>& late, std::string& error);
    // Entries in the file plus those gathered for the next flush().
    std::uint64_t entries() const { return (file_.size() + pending_.size()) / kEntrySize; }
    const std::filesystem::path& path() const { return path_; }

  private:
    AckLog(std::filesystem::path path, SegmentFile file)
        : path_(std::move(path)), file_(std::move(file)) {
        keep_reserve();
    }

    std::filesystem::path
        path_;  // the file's name (file_ may have been opened under a temporary one)
    SegmentFile file_;
    std::string pending_;            // encoded entries gathered by add()
    std::uint64_t reserved_to_ = 0;  // the file's blocks are allocated up to here

    // Moves the reserve on once less than half of it is left.
    void keep_reserve();
};

}  // namespace hubgate::spool
