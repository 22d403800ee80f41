#pragma once
// The daemon's open-files limit. Every device session over TLS holds three descriptors (its
// socket and libmosquitto's wake-up socket pair), so the soft limit systemd and shells start
// with (often 1,024) caps a gateway at a few hundred devices.

#include <cstdint>

namespace hubgate::daemon {

// Raises the soft RLIMIT_NOFILE to the hard limit; returns the soft limit now in force
// (0 when it cannot be read).
std::uint64_t raise_open_files_limit();

}  // namespace hubgate::daemon
