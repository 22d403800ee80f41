// `hubsim events [--follow] [--device ID] [--after N]`: prints recorded telemetry, one JSON object
// per line; with --follow keeps long-polling for new messages until interrupted.

#include <cstdio>
#include <nlohmann/json.hpp>

#include "gateway/cli/command.hpp"
#include "hubsim/cli/service_command.hpp"

namespace hubsim::cli {

namespace {

using hubgate::cli::UsageError;

// How long one long-poll may wait; the loop then asks again.
constexpr int kFollowWaitSeconds = 30;

int events(const hubgate::cli::Args& args) {
    if (!args.positional().empty())
        throw UsageError("unexpected argument");
    auto client = service_client(args);
    client.set_read_timeout(std::chrono::seconds(kFollowWaitSeconds + 30));
    uint64_t after = 0;
    if (const auto text = args.get("after")) {
        try {
            after = std::stoull(*text);
        } catch (const std::exception&) {
            throw UsageError("--after takes a sequence number");
        }
    }
    const auto device = args.get("device");
    const bool follow = args.flag("follow");
    for (;;) {
        std::string path = "/hubsim/telemetry?after=" + std::to_string(after) +
                           "&wait=" + std::to_string(follow ? kFollowWaitSeconds : 0);
        if (device)
            path += "&device=" + *device;
        const auto reply = client.call("GET", path);
        if (reply.status != 200)
            return print_reply(reply);
        const auto body = nlohmann::json::parse(reply.body, nullptr, false);
        if (body.is_discarded() || !body.contains("messages")) {
            std::fprintf(stderr, "hubsim: unexpected answer: %s\n", reply.body.c_str());
            return hubgate::cli::kExitFailure;
        }
        for (const auto& message : body["messages"]) {
            std::printf(
                "%s\n",
                message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
            after = std::max(after, message.value("sequence", after));
        }
        std::fflush(stdout);
        after = std::max(after, body.value("last", after));
        if (!follow)
            return hubgate::cli::kExitOk;
    }
}

int cmd_events(std::span<const std::string> argv) {
    return run_service_command(
        argv, {"device", "after"}, {"follow"},
        std::string("events [--follow] [--device ID] [--after N] ") + kServiceUsage, events);
}

const hubgate::cli::CommandRegistrar events_command(
    {"events", "print recorded telemetry (--follow: keep waiting for more)", &cmd_events});

}  // namespace

}  // namespace hubsim::cli
