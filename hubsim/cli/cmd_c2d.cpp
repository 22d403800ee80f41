// `hubsim c2d ID TEXT [--prop k=v]... [--message-id ID] [--ttl S]`: queues a cloud-to-device
// message.

#include <nlohmann/json.hpp>

#include "gateway/cli/command.hpp"
#include "hubsim/cli/service_command.hpp"

namespace hubsim::cli {

namespace {

using hubgate::cli::UsageError;

int send_c2d(const hubgate::cli::Args& args) {
    if (args.positional().size() != 2)
        throw UsageError("expected ID and TEXT");
    nlohmann::json message{{"payload", args.positional()[1]},
                           {"properties", nlohmann::json::object()}};
    for (const auto& prop : args.get_all("prop")) {
        const auto eq = prop.find('=');
        if (eq == std::string::npos || eq == 0)
            throw UsageError("--prop takes name=value");
        message["properties"][prop.substr(0, eq)] = prop.substr(eq + 1);
    }
    if (const auto id = args.get("message-id"))
        message["messageId"] = *id;
    if (const auto ttl = args.get("ttl")) {
        try {
            message["ttlSeconds"] = std::stoi(*ttl);
        } catch (const std::exception&) {
            throw UsageError("--ttl takes whole seconds");
        }
    }
    return print_reply(service_client(args).call(
        "POST", "/hubsim/devices/" + args.positional()[0] + "/messages", message.dump()));
}

int cmd_c2d(std::span<const std::string> argv) {
    return run_service_command(
        argv, {"prop", "message-id", "ttl"}, {},
        std::string("c2d ID TEXT [--prop k=v]... [--message-id ID] [--ttl S] ") + kServiceUsage,
        send_c2d);
}

const hubgate::cli::CommandRegistrar c2d_command({"c2d",
                                                  "c2d ID TEXT: send a cloud-to-device message",
                                                  &cmd_c2d});

}  // namespace

}  // namespace hubsim::cli
