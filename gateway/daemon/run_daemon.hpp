#pragma once
// The daemon's life: open the bridge, start it, serve until SIGTERM or SIGINT, stop cleanly.

#include "gateway/config/config.hpp"

namespace hubgate::daemon {

// Runs until a stop signal; returns the process exit code (0 after a clean stop, 1 when the
// bridge could not be opened or started).
int run_daemon(const config::Config& config);

}  // namespace hubgate::daemon
