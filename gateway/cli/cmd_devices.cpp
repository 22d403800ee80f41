// `hubgate devices`: one line per device of the running daemon (its state, since when, spool
// backlog, last uplink and downlink), asked over the control socket; --state keeps one state.
#include <algorithm>
#include <cstdio>
#include <string>

#include "gateway/cli/args.hpp"
#include "gateway/cli/command.hpp"
#include "gateway/cli/control_socket_option.hpp"
#include "gateway/control/control_client.hpp"
#include "gateway/control/device_view.hpp"

namespace hubgate::cli {
namespace {

// As `hubgate status`: the daemon is not running.
constexpr const char* kDevicesUsage =
    "usage: hubgate devices [-c FILE | --socket PATH] [--state STATE] [--json]\n"
    "Lists the running daemon's devices, one line each: state and since when, spool backlog\n"
    "(messages, bytes), last uplink and downlink, last error. --state keeps the devices in one\n"
    "state (connected, backing-off, refused, ..., or no-session: spooled messages and no\n"
    "session). Exit codes as `hubgate status`.\n";

std::string joined(const std::vector<std::string>& words) {
    std::string out;
    for (const auto& word : words)
        out += (out.empty() ? "" : ", ") + word;
    return out;
}

int run_devices(std::span<const std::string> argv) {
    std::filesystem::path socket;
    std::optional<std::string> state;
    bool json = false;
    try {
        const auto parsed = control_verb_args(argv, {"state"}, kDevicesUsage);
        if (!parsed)
            return kExitOk;
        const Args& args = *parsed;
        json = args.flag("json");
        state = args.get("state");
        const auto states = control::device_states();
        if (state && std::find(states.begin(), states.end(), *state) == states.end())
            throw UsageError("unknown state '" + *state + "'; the states are " + joined(states));
        socket = control_socket_from(args);
    } catch (const UsageError& e) {
        std::fprintf(stderr, "hubgate devices: %s\n%s", e.what(), kDevicesUsage);
        return kExitUsage;
    }

    auto reply = control::request_status(socket);
    using Outcome = control::StatusReply::Outcome;
    if (reply.outcome != Outcome::Ok) {
        std::fprintf(stderr, "hubgate devices: %s\n", reply.error.c_str());
        return reply.outcome == Outcome::NotRunning ? kExitNotRunning : kExitFailure;
    }
    if (json)
        std::printf("%s\n", control::devices_in_state(reply.json, state).dump(2).c_str());
    else
        std::fputs(control::format_device_lines(reply.json, state).c_str(), stdout);
    return kExitOk;
}

const CommandRegistrar devices_command({"devices",
                                        "list the running daemon's devices, one per line",
                                        &run_devices});

}  // namespace
}  // namespace hubgate::cli
