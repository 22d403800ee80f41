#include "hubsim/cli/service_command.hpp"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "gateway/cli/command.hpp"
#include "hubsim/cli/hub_config.hpp"
#include "hubsim/cli/state_file.hpp"

namespace hubsim::cli {

namespace fs = std::filesystem;
using hubgate::cli::UsageError;

ServiceClient service_client(const hubgate::cli::Args& args) {
    const auto config = load_hub_config(args.require("config"));
    if (!config.owner_key) {
        throw UsageError(config.file.string() + " has no [[policies]] entry named iothubowner");
    }
    auto endpoint = service_endpoint(args);
    endpoint.policy_key = *config.owner_key;
    return ServiceClient(endpoint);
}

ServiceEndpoint service_endpoint(const hubgate::cli::Args& args) {
    const auto config = load_hub_config(args.require("config"));
    ServiceEndpoint endpoint;
    endpoint.hub_hostname = config.hostname;
    if (const auto https = args.get("https")) {
        try {
            endpoint.port = std::stoi(*https);
        } catch (const std::exception&) {
            throw UsageError("--https takes a port number");
        }
        const auto ca = args.get("ca");
        if (!ca && config.ca_file.empty())
            throw UsageError("--https needs --ca FILE");
        endpoint.ca_file = ca ? fs::path(*ca) : config.ca_file;
        return endpoint;
    }
    const fs::path state_dir = args.get("state-dir")       ? fs::path(*args.get("state-dir"))
                               : !config.state_dir.empty() ? config.state_dir
                                                           : default_state_dir(config.file);
    const auto running = read_state_file(state_dir);
    if (!running) {
        throw UsageError("no running hub found (" + state_file_path(state_dir).string() +
                         " is missing): start `hubsim run -c " + config.file.string() +
                         "` or pass --https PORT --ca FILE");
    }
    endpoint.port = running->https_port;
    endpoint.ca_file = running->ca_file;
    return endpoint;
}

int print_reply(const ServiceReply& reply) {
    if (reply.status == 0) {
        std::fprintf(stderr, "hubsim: no answer from the hub: %s\n", reply.error.c_str());
        return hubgate::cli::kExitFailure;
    }
    const auto body = nlohmann::json::parse(reply.body, nullptr, false);
    const auto text = body.is_discarded() ? reply.body : body.dump(2);
    const bool ok = reply.status >= 200 && reply.status < 300;
    if (ok) {
        if (!reply.body.empty())
            std::printf("%s\n", text.c_str());
        return hubgate::cli::kExitOk;
    }
    std::fprintf(stderr, "hubsim: HTTP %d\n%s\n", reply.status, text.c_str());
    return hubgate::cli::kExitFailure;
}

int run_service_command(std::span<const std::string> argv, std::vector<std::string> options,
                        std::vector<std::string> flags, const std::string& usage,
                        const std::function<int(const hubgate::cli::Args&)>& body) {
    options.insert(options.end(), kServiceOptions.begin(), kServiceOptions.end());
    try {
        const hubgate::cli::Args args(argv, options, flags, {{"c", "config"}});
        return body(args);
    } catch (const UsageError& e) {
        std::fprintf(stderr, "hubsim: %s\nusage: hubsim %s\n", e.what(), usage.c_str());
        return hubgate::cli::kExitUsage;
    } catch (const ConfigError& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return hubgate::cli::kExitUsage;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "hubsim: %s\n", e.what());
        return hubgate::cli::kExitFailure;
    }
}

}  // namespace hubsim::cli
