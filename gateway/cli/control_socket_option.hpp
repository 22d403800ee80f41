#pragma once
// The control socket a client command talks to: `--socket PATH`, or control.socket of the config
// file `-c FILE`, or the default. Shared by `hubgate status`, `hubgate devices` and
// `hubgate provision`.

#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "gateway/cli/args.hpp"

namespace hubgate::cli {

// Throws UsageError when both are given or the config file cannot be read.
std::filesystem::path control_socket_from(const Args& args);

// The command line of a verb that talks to the control socket: -c FILE | --socket PATH, --json,
// --help, and the verb's own value options `own`; no positional arguments. nullopt after --help
// (`usage` printed). Throws UsageError.
std::optional<Args> control_verb_args(std::span<const std::string> argv,
                                      const std::vector<std::string>& own, const char* usage);

}  // namespace hubgate::cli
