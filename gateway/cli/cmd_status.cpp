// `hubgate status`: the running daemon's device sessions and counters, asked over its control
// socket, as a table for people or as the daemon's JSON for scripts; with --device, one device
// in detail.
#include <cstdio>
#include <string>

#include "gateway/cli/args.hpp"
#include "gateway/cli/command.hpp"
#include "gateway/cli/control_socket_option.hpp"
#include "gateway/control/control_client.hpp"
#include "gateway/control/device_view.hpp"
#include "gateway/control/status_table.hpp"

namespace hubgate::cli {
namespace {

constexpr const char* kStatusUsage =
    "usage: hubgate status [-c FILE | --socket PATH] [--device ID] [--json]\n"
    "Asks the running daemon for its device sessions and counters over the control socket\n"
    "(control.socket in FILE; default /run/hubgate/control.sock) and prints them as a table,\n"
    "or as JSON with --json. With --device ID: that device's state and since when, last error,\n"
    "spool backlog, last uplink and downlink, and its session's counters. Exit 0 ok, 1 no valid\n"
    "answer (or an unknown device) or permission denied, 2 usage, 3 the daemon is not running.\n";

int run_status(std::span<const std::string> argv) {
    std::filesystem::path socket;
    std::optional<std::string> device;
    bool json = false;
    try {
        const auto parsed = control_verb_args(argv, {"device"}, kStatusUsage);
        if (!parsed)
            return kExitOk;
        const Args& args = *parsed;
        json = args.flag("json");
        device = args.get("device");
        if (device && device->empty())
            throw UsageError("--device needs a device id");
        socket = control_socket_from(args);
    } catch (const UsageError& e) {
        std::fprintf(stderr, "hubgate status: %s\n%s", e.what(), kStatusUsage);
        return kExitUsage;
    }

    auto reply =
        device ? control::request_device(socket, *device) : control::request_status(socket);
    using Outcome = control::StatusReply::Outcome;
    if (reply.outcome != Outcome::Ok) {
        std::fprintf(stderr, "hubgate status: %s\n", reply.error.c_str());
        return reply.outcome == Outcome::NotRunning ? kExitNotRunning : kExitFailure;
    }
    if (json)
        std::printf("%s\n", reply.json.dump(2).c_str());
    else if (device)
        std::fputs(control::format_device_detail(reply.json["device"]).c_str(), stdout);
    else
        std::fputs(control::format_status_table(reply.json).c_str(), stdout);
    return kExitOk;
}

const CommandRegistrar status_command({"status", "show the running daemon's sessions and counters",
                                       &run_status});

}  // namespace
}  // namespace hubgate::cli
