#pragma once
// Subcommands of `hubgate`: each cmd_<name>.cpp defines one and registers it with a
// CommandRegistrar at namespace scope.

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace hubgate::cli {

// Exit codes shared by every subcommand.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // the command ran and found a fault (e.g. invalid config)
inline constexpr int kExitUsage = 2;    // bad command line or unusable input
inline constexpr int kExitNotRunning = 3;  // as the LSB status actions: no daemon answered

using CommandFn = int (*)(std::span<const std::string> args);

struct Command {
    std::string_view name;
    std::string_view summary;
    CommandFn run;
};

void register_command(const Command& command);
const std::vector<Command>& commands();
const Command* find_command(std::string_view name);

struct CommandRegistrar {
    explicit CommandRegistrar(const Command& command) { register_command(command); }
};

}  // namespace hubgate::cli
