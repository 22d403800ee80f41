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

    // Opens (or creates) the log at `path` and reads every valid entry.
    static std::optional<AckLog> open(const std::filesystem::path& path, Contents& contents,
                                      std::string& error);

    // Gathers one entry; nothing is written until flush().
    void add(std::uint64_t seq);
    // Writes the gathered entries in one write. On failure they are dropped (and the error
    // returned): they only cost duplicates after a restart, and retrying could write them twice.
    bool flush(std::string& error);
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
        : path_(std::move(path)), file_(std::move(file)) {}

    std::filesystem::path
        path_;  // the file's name (file_ may have been opened under a temporary one)
    SegmentFile file_;
    std::string pending_;  // encoded entries gathered by add()
};

}  // namespace hubgate::spool
