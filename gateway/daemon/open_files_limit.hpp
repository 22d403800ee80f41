#pragma once
// The daemon's open-files limit. Every device session holds a socket, so the soft limit that
// systemd and shells start with (often 1,024) would cap a gateway at about a thousand devices.

#include <cstdint>

namespace hubgate::daemon {

// Raises the soft RLIMIT_NOFILE to the hard limit; returns the soft limit now in force
// (0 when it cannot be read).
std::uint64_t raise_open_files_limit();

}  // namespace hubgate::daemon
