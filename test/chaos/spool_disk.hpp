#pragma once
// A small filesystem of its own for hubgate's spool in a chaos run, so that a disk-full window is
// a real full disk (ENOSPC from the kernel), not an injected error: a tmpfs mounted on the spool
// directory, filled by a filler file for the window and freed again by removing it.
//
// Mounting needs root and a private mount namespace (enter_private_mount_namespace(), called
// before any thread starts): the tmpfs is then visible only to the harness and the processes it
// starts, and disappears with them, even when the harness is killed.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

namespace hubgate::chaos {

// unshare(CLONE_NEWNS) and every mount made private. False with `why` (EPERM when not root).
// Must run while the process has one thread.
bool enter_private_mount_namespace(std::string& why);

class SpoolDisk {
  public:
    // Mounts a tmpfs of `bytes` on `dir` (created if missing). nullptr with `why` when refused.
    static std::unique_ptr<SpoolDisk> mount(const std::filesystem::path& dir, std::uint64_t bytes,
                                            std::string& why);
    ~SpoolDisk();  // removes the filler and unmounts (lazily: a process may still have files open)
    SpoolDisk(const SpoolDisk&) = delete;
    SpoolDisk& operator=(const SpoolDisk&) = delete;

    // Grows the filler file until the filesystem has no free block left. Call it again during
    // the window: hubgate deleting a finished segment gives space back.
    void fill();
    // Removes the filler: space returns.
    void release();
    std::uint64_t free_bytes() const;

  private:
    explicit SpoolDisk(std::filesystem::path dir) : dir_(std::move(dir)) {}

    std::filesystem::path dir_;
};

}  // namespace hubgate::chaos
