// `hubgate provision --device ID`: makes the running daemon register a device with DPS again
// (its kept assignment is set aside), waits for the registration to end and prints the outcome.
// The daemon answers the request at once; the outcome is polled, so that its control socket
// stays free for `hubgate status` while DPS takes its seconds.
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "gateway/cli/args.hpp"
#include "gateway/cli/command.hpp"
#include "gateway/cli/control_socket_option.hpp"
#include "gateway/control/control_client.hpp"

namespace hubgate::cli {
namespace {

// As `hubgate status`: the daemon is not running.
// DPS answers within seconds; 429 and 5xx answers are retried for up to five minutes, which
// `hubgate status` shows the end of when this gives up waiting.
constexpr auto kWaitForOutcome = std::chrono::minutes(2);
constexpr auto kPollEvery = std::chrono::milliseconds(250);

constexpr const char* kProvisionUsage =
    "usage: hubgate provision --device ID [-c FILE | --socket PATH] [--json]\n"
    "Makes the running daemon register the device with the Device Provisioning Service again\n"
    "([provisioning] on): its kept assignment is set aside, and its session connects again\n"
    "once DPS has assigned it. Waits up to 2 minutes for the registration to end and prints\n"
    "the outcome (the daemon's JSON with --json). Exit 0 assigned, 1 not assigned (failed,\n"
    "disabled, error, still registering), provisioning off, an unknown device, no valid answer\n"
    "or permission denied, 2 usage, 3 the daemon is not running.\n";

bool finished(const nlohmann::ordered_json& device, unsigned attempts_before) {
    const auto state = device.value("state", std::string());
    return state != "queued" && state != "registering" &&
           device.value("attempts", 0U) > attempts_before;
}

int run_provision(std::span<const std::string> argv) {
    std::filesystem::path socket;
    std::string device_id;
    bool json = false;
    try {
        const auto parsed = control_verb_args(argv, {"device"}, kProvisionUsage);
        if (!parsed)
            return kExitOk;
        const Args& args = *parsed;
        device_id = args.require("device");
        if (device_id.empty())
            throw UsageError("--device needs a device id");
        json = args.flag("json");
        socket = control_socket_from(args);
    } catch (const UsageError& e) {
        std::fprintf(stderr, "hubgate provision: %s\n%s", e.what(), kProvisionUsage);
        return kExitUsage;
    }

    using Outcome = control::StatusReply::Outcome;
    auto reply = control::request_provisioning(socket, device_id, true);
    if (reply.outcome != Outcome::Ok) {
        std::fprintf(stderr, "hubgate provision: %s\n", reply.error.c_str());
        return reply.outcome == Outcome::NotRunning ? kExitNotRunning : kExitFailure;
    }
    // Attempts counted before this request's registration: one that was under way when it came
    // ends first, and is not its outcome.
    const unsigned attempts_before = reply.json["provisioning"].value("attempts", 0U);
    const auto give_up = std::chrono::steady_clock::now() + kWaitForOutcome;
    while (!finished(reply.json["provisioning"], attempts_before)) {
        if (std::chrono::steady_clock::now() >= give_up) {
            std::fprintf(stderr,
                         "hubgate provision: %s is still %s after %lld s; `hubgate status` shows "
                         "how its registration ends\n",
                         device_id.c_str(),
                         reply.json["provisioning"].value("state", std::string()).c_str(),
                         static_cast<long long>(std::chrono::seconds(kWaitForOutcome).count()));
            return kExitFailure;
        }
        std::this_thread::sleep_for(kPollEvery);
        reply = control::request_provisioning(socket, device_id, false);
        if (reply.outcome != Outcome::Ok) {
            std::fprintf(stderr, "hubgate provision: %s\n", reply.error.c_str());
            return reply.outcome == Outcome::NotRunning ? kExitNotRunning : kExitFailure;
        }
    }
    const auto& device = reply.json["provisioning"];
    const auto state = device.value("state", std::string());
    const auto message = device.value("message", std::string());
    if (json)
        std::printf("%s\n", reply.json.dump(2).c_str());
    else if (state == "assigned")
        std::printf("%s: %s\n", device_id.c_str(), message.c_str());
    else
        std::printf("%s: %s: %s\n", device_id.c_str(), state.c_str(), message.c_str());
    return state == "assigned" ? kExitOk : kExitFailure;
}

const CommandRegistrar provision_command({"provision", "register a device with DPS again",
                                          &run_provision});

}  // namespace
}  // namespace hubgate::cli
