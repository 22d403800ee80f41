// `hubsim invoke ID METHOD [--payload JSON] [--timeout S]`: calls a direct method and prints
// {"status":..,"payload":..}; exit 0 when the call completed (whatever the device's status).

#include <nlohmann/json.hpp>

#include "gateway/cli/command.hpp"
#include "hubsim/cli/service_command.hpp"

namespace hubsim::cli {

namespace {

using hubgate::cli::UsageError;

int invoke(const hubgate::cli::Args& args) {
    if (args.positional().size() != 2)
        throw UsageError("expected ID and METHOD");
    const auto& id = args.positional()[0];
    nlohmann::json payload = nullptr;
    if (const auto text = args.get("payload")) {
        payload = nlohmann::json::parse(*text, nullptr, false);
        if (payload.is_discarded())
            throw UsageError("--payload is not valid JSON");
    }
    int timeout = 30;
    if (const auto text = args.get("timeout")) {
        try {
            timeout = std::stoi(*text);
        } catch (const std::exception&) {
            throw UsageError("--timeout takes whole seconds");
        }
    }
    const nlohmann::json request{{"methodName", args.positional()[1]},
                                 {"payload", payload},
                                 {"responseTimeoutInSeconds", timeout}};
    return print_reply(
        service_client(args).call("POST", "/twins/" + id + "/methods", request.dump()));
}

int cmd_invoke(std::span<const std::string> argv) {
    return run_service_command(
        argv, {"payload", "timeout"}, {},
        std::string("invoke ID METHOD [--payload JSON] [--timeout S] ") + kServiceUsage, invoke);
}

const hubgate::cli::CommandRegistrar invoke_command(
    {"invoke", "invoke ID METHOD: call a direct method on a device", &cmd_invoke});

}  // namespace

}  // namespace hubsim::cli
