// `hubsim twin ID [--desired JSON]`: prints a device twin, or patches its desired properties
// first (the device gets the patch when it is connected and subscribed).

#include <nlohmann/json.hpp>

#include "gateway/cli/command.hpp"
#include "hubsim/cli/service_command.hpp"

namespace hubsim::cli {

namespace {

using hubgate::cli::UsageError;

int twin(const hubgate::cli::Args& args) {
    if (args.positional().size() != 1)
        throw UsageError("expected ID");
    const auto client = service_client(args);
    const auto path = "/twins/" + args.positional()[0];
    if (const auto desired = args.get("desired")) {
        const auto patch = nlohmann::json::parse(*desired, nullptr, false);
        if (patch.is_discarded() || !patch.is_object()) {
            throw UsageError("--desired takes a JSON object");
        }
        const nlohmann::json body{{"properties", {{"desired", patch}}}};
        return print_reply(client.call("PATCH", path, body.dump()));
    }
    return print_reply(client.call("GET", path));
}

int cmd_twin(std::span<const std::string> argv) {
    return run_service_command(argv, {"desired"}, {},
                               std::string("twin ID [--desired JSON] ") + kServiceUsage, twin);
}

const hubgate::cli::CommandRegistrar twin_command(
    {"twin", "twin ID [--desired JSON]: show a device twin or patch its desired properties",
     &cmd_twin});

}  // namespace

}  // namespace hubsim::cli
