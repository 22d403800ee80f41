#pragma once
// One append-only spool file on disk: the POSIX calls behind the spool (write at the end, read
// at an offset, sync, truncate), with errors reported as text instead of thrown, and the errno of
// the last failure kept for callers that must tell a full disk from a failing one.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/spool/fault_hook.hpp"

namespace hubgate::spool {

// An open file that only grows at its end (or is cut back after a failed or torn write).
class SegmentFile {
  public:
    // Creates a new, empty file (fails if it exists) and syncs its directory entry. On failure
    // errno holds the cause. `fault` (tests) may fail its writes and syncs.
    static std::optional<SegmentFile> create(const std::filesystem::path& path, std::string& error,
                                             FaultHook fault = {});
    // Opens an existing file for reading and appending.
    static std::optional<SegmentFile> open(const std::filesystem::path& path, std::string& error,
                                           FaultHook fault = {});

    SegmentFile(SegmentFile&& other) noexcept;
    SegmentFile& operator=(SegmentFile&& other) noexcept;
    SegmentFile(const SegmentFile&) = delete;
    SegmentFile& operator=(const SegmentFile&) = delete;
    ~SegmentFile();

    const std::filesystem::path& path() const { return path_; }
    std::uint64_t size() const { return size_; }

    // Writes all of `bytes` at the end; on failure cuts the file back to its previous size.
    bool append(std::string_view bytes, std::string& error);
    bool read(std::uint64_t offset, std::size_t length, std::string& out, std::string& error) const;
    bool read_all(std::string& out, std::string& error) const;
    bool sync(std::string& error);
    // The same file through a second descriptor: it can be synced outside the owner's lock, even
    // after the owner closed or deleted it.
    std::optional<SegmentFile> duplicate(std::string& error) const;
    bool truncate(std::uint64_t size, std::string& error);
    // Allocates the file's blocks up to `bytes` without changing its size (fallocate with
    // FALLOC_FL_KEEP_SIZE), so that appends up to there need no new blocks: they succeed on a
    // full disk. False where the file system cannot do it (then appends work as before).
    bool reserve(std::uint64_t bytes);
    // errno of the last failed append or sync (ENOSPC: the disk is full).
    int last_errno() const { return last_errno_; }

  private:
    SegmentFile(std::filesystem::path path, int fd, std::uint64_t size, FaultHook fault);
    // The errno the fault hook injects into `op`, 0 for none.
    int injected(FileOp op) const { return fault_ ? fault_(op, path_) : 0; }

    std::filesystem::path path_;
    int fd_ = -1;
    std::uint64_t size_ = 0;
    FaultHook fault_;
    int last_errno_ = 0;
};

// fsyncs a directory so that files created, renamed or removed in it survive a power loss.
bool sync_directory(const std::filesystem::path& dir, std::string& error);

}  // namespace hubgate::spool
