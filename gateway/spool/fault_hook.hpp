#pragma once
// A way for tests to make the spool's disk operations fail (a full disk, a failing disk), to
// prove what the spool does then. Empty in production: nothing is injected.

#include <filesystem>
#include <functional>

namespace hubgate::spool {

// The operations a FaultHook is asked about.
enum class FileOp {
    write,       // a write to a segment file
    sync,        // an fdatasync of a segment file
    free_space,  // the check whether space returned after the disk was full
};

// Called before the operation with the file (or, for free_space, the spool directory) it
// concerns; a non-zero errno value (ENOSPC, EIO...) makes the operation fail as if the kernel had
// returned that error, 0 lets it run.
using FaultHook = std::function<int(FileOp op, const std::filesystem::path& path)>;

}  // namespace hubgate::spool
