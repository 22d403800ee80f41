// hubsim: the IoT Hub emulator's command line. Dispatches to the registered subcommands
// (cmd_<name>.cpp): `run` starts the emulator, the others are service API wrappers for people.
#include <cstdio>
#include <string>
#include <vector>

#include "gateway/cli/command.hpp"
#include "gateway/cli/version.hpp"

namespace {

void print_usage() {
    std::fprintf(stderr, "usage: hubsim <command> [options]\n\ncommands:\n");
    for (const auto& c : hubgate::cli::commands()) {
        std::fprintf(stderr, "  %-8.*s %.*s\n", static_cast<int>(c.name.size()), c.name.data(),
                     static_cast<int>(c.summary.size()), c.summary.data());
    }
    std::fprintf(stderr, "\n`hubsim --version` prints the version.\n");
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty() || args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
        print_usage();
        return args.empty() ? hubgate::cli::kExitUsage : hubgate::cli::kExitOk;
    }
    if (args[0] == "-V" || args[0] == "--version") {
        std::printf("hubsim %.*s\n", static_cast<int>(hubgate::cli::version().size()),
                    hubgate::cli::version().data());
        return hubgate::cli::kExitOk;
    }
    const auto* command = hubgate::cli::find_command(args[0]);
    if (command == nullptr) {
        std::fprintf(stderr, "hubsim: unknown command '%s'\n\n", args[0].c_str());
        print_usage();
        return hubgate::cli::kExitUsage;
    }
    args.erase(args.begin());
    return command->run(args);
}
