#pragma once
// The control socket a client command talks to: `--socket PATH`, or control.socket of the config
// file `-c FILE`, or the default. Shared by `hubgate status`, `hubgate devices` and
// `hubgate provision`.

#include <filesystem>

#include "gateway/cli/args.hpp"

namespace hubgate::cli {

// Throws UsageError when both are given or the config file cannot be read.
std::filesystem::path control_socket_from(const Args& args);

}  // namespace hubgate::cli
