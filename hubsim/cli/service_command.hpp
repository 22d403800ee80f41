#pragma once
// What the CLI wrappers (device, invoke, c2d, twin, events) share: finding a running hub from
// `-c FILE` (its ports.json) or `--https PORT`, signing in as iothubowner, printing answers.

#include <functional>
#include <span>
#include <string>
#include <vector>

#include "gateway/cli/args.hpp"
#include "hubsim/cli/service_client.hpp"

namespace hubsim::cli {

// Options every wrapper accepts, besides its own.
inline const std::vector<std::string> kServiceOptions{"config", "https", "state-dir", "ca"};
inline constexpr const char* kServiceUsage = "-c FILE [--state-dir DIR] [--https PORT --ca FILE]";

// Throws UsageError when the hub cannot be found or the config has no iothubowner key.
ServiceClient service_client(const hubgate::cli::Args& args);
// Where the running hub's service API is (no key set): for clients that sign as another policy.
ServiceEndpoint service_endpoint(const hubgate::cli::Args& args);

// Prints the answer's JSON body to stdout (errors to stderr); exit code 0 for 2xx, 1 otherwise.
int print_reply(const ServiceReply& reply);

// Runs a wrapper body with the shared error handling (usage errors: exit 2).
int run_service_command(std::span<const std::string> argv, std::vector<std::string> options,
                        std::vector<std::string> flags, const std::string& usage,
                        const std::function<int(const hubgate::cli::Args&)>& body);

}  // namespace hubsim::cli
