// hubgate: protocol gateway bridge daemon. Dispatches to the registered subcommands.
#include <cstdio>
#include <string>
#include <vector>

#include "gateway/cli/command.hpp"
#include "gateway/cli/version.hpp"

namespace {

void print_usage() {
    std::fprintf(stderr, "usage: hubgate <command> [options]\n\ncommands:\n");
    for (const auto& c : hubgate::cli::commands()) {
        std::fprintf(stderr, "  %-8.*s %.*s\n", static_cast<int>(c.name.size()), c.name.data(),
                     static_cast<int>(c.summary.size()), c.summary.data());
    }
    std::fprintf(stderr,
                 "\nRun `hubgate <command> --help` for a command's options;\n"
                 "`hubgate --version` prints the version.\n");
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    std::string name = "run";  // DESIGN.md: `run` is the default when no subcommand is given
    if (!args.empty() && (args[0] == "-h" || args[0] == "--help" || args[0] == "help")) {
        print_usage();
        return hubgate::cli::kExitOk;
    }
    if (!args.empty() && (args[0] == "-V" || args[0] == "--version")) {
        std::printf("hubgate %.*s\n", static_cast<int>(hubgate::cli::version().size()),
                    hubgate::cli::version().data());
        return hubgate::cli::kExitOk;
    }
    if (!args.empty() && !args[0].starts_with("-")) {
        name = args[0];
        args.erase(args.begin());
    }
    const auto* command = hubgate::cli::find_command(name);
    if (command == nullptr) {
        std::fprintf(stderr, "hubgate: unknown command '%s'\n\n", name.c_str());
        print_usage();
        return hubgate::cli::kExitUsage;
    }
    return command->run(args);
}
