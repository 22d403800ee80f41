#pragma once
// The ack log: one fixed-size entry (seq u64 | crc32 u32) per record the hub acknowledged or the
// TTL dropped. Appended without fsync: losing its tail in a crash only means those messages are
// sent again (with the same $.mid), which at-least-once allows. Rewritten (atomically, by rename)
// to drop entries whose segments are gone.

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

    bool append(std::uint64_t seq, std::string& error);
    // Replaces the whole log with exactly `seqs` (both steps below, then a directory sync).
    bool rewrite(const std::vector<std::uint64_t>& seqs, std::string& error);
    // A rewrite in two steps, so that the slow part can run while appends go on to the current
    // log: write_compacted() writes `seqs` to a new file next to the log and syncs it;
    // install() adds `late` (entries appended meanwhile) to it and renames it over the log, which
    // appends then go to. The caller syncs the directory afterwards.
    std::optional<SegmentFile> write_compacted(const std::vector<std::uint64_t>& seqs,
                                               std::string& error) const;
    bool install(SegmentFile fresh, const std::vector<std::uint64_t>& late, std::string& error);
    std::uint64_t entries() const { return file_.size() / kEntrySize; }
    const std::filesystem::path& path() const { return path_; }

  private:
    AckLog(std::filesystem::path path, SegmentFile file)
        : path_(std::move(path)), file_(std::move(file)) {}

    std::filesystem::path
        path_;  // the file's name (file_ may have been opened under a temporary one)
    SegmentFile file_;
};

}  // namespace hubgate::spool
