// `hubgate status`: the running daemon's device sessions and counters, asked over its control
// socket, as a table for people or as the daemon's JSON for scripts.
#include <cstdio>
#include <string>

#include "gateway/cli/args.hpp"
#include "gateway/cli/command.hpp"
#include "gateway/config/config.hpp"
#include "gateway/control/control_client.hpp"
#include "gateway/control/status_table.hpp"

namespace hubgate::cli {
namespace {

// As the LSB status actions: the daemon is not running.
constexpr int kExitNotRunning = 3;

constexpr const char* kUsage =
    "usage: hubgate status [-c FILE | --socket PATH] [--json]\n"
    "Asks the running daemon for its device sessions and counters over the control socket\n"
    "(control.socket in FILE; default /run/hubgate/control.sock) and prints them as a table,\n"
    "or as JSON with --json. Exit 0 ok, 1 no valid answer or permission denied, 2 usage,\n"
    "3 the daemon is not running.\n";

// The socket named by the config file. A config that fails validation for other reasons (say a
// credential only systemd provides) still names its socket.
std::filesystem::path socket_from_config(const std::string& file) {
    auto result = config::load_config(file);
    if (result.status == config::LoadStatus::Unreadable) {
        std::string why = result.diagnostics.empty()
                              ? "cannot read " + file
                              : config::format_diagnostic(result.diagnostics.front());
        throw UsageError(why);
    }
    return result.config.control.socket;
}

int run_status(std::span<const std::string> argv) {
    std::filesystem::path socket;
    bool json = false;
    try {
        Args args(argv, {"config", "socket"}, {"json", "help"}, {{"c", "config"}, {"h", "help"}});
        if (args.flag("help")) {
            std::fputs(kUsage, stdout);
            return kExitOk;
        }
        if (!args.positional().empty())
            throw UsageError("unexpected argument " + args.positional()[0]);
        if (args.get("config") && args.get("socket"))
            throw UsageError("give -c FILE or --socket PATH, not both");
        json = args.flag("json");
        if (auto path = args.get("socket"))
            socket = *path;
        else if (auto file = args.get("config"))
            socket = socket_from_config(*file);
        else
            socket = config::defaults().control.socket;
    } catch (const UsageError& e) {
        std::fprintf(stderr, "hubgate status: %s\n%s", e.what(), kUsage);
        return kExitUsage;
    }

    auto reply = control::request_status(socket);
    using Outcome = control::StatusReply::Outcome;
    if (reply.outcome != Outcome::Ok) {
        std::fprintf(stderr, "hubgate status: %s\n", reply.error.c_str());
        return reply.outcome == Outcome::NotRunning ? kExitNotRunning : kExitFailure;
    }
    if (json)
        std::printf("%s\n", reply.json.dump(2).c_str());
    else
        std::fputs(control::format_status_table(reply.json).c_str(), stdout);
    return kExitOk;
}

const CommandRegistrar registrar({"status", "show the running daemon's sessions and counters",
                                  &run_status});

}  // namespace
}  // namespace hubgate::cli
