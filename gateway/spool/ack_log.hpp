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
    // Replaces the whole log with exactly `seqs`.
    bool rewrite(const std::vector<std::uint64_t>& seqs, std::string& error);
    std::uint64_t entries() const { return file_.size() / kEntrySize; }

  private:
    AckLog(std::filesystem::path path, SegmentFile file)
        : path_(std::move(path)), file_(std::move(file)) {}

    std::filesystem::path
        path_;  // the file's name (file_ may have been opened under a temporary one)
    SegmentFile file_;
};

}  // namespace hubgate::spool
