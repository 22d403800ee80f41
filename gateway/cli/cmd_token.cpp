// `hubgate token`: prints a device SAS token (the command-line replacement for Device Explorer's
// token form). The token goes to stdout; diagnostics to stderr never include its signature.
#include <spdlog/spdlog.h>

#include <cstdio>

#include "gateway/cli/args.hpp"
#include "gateway/cli/command.hpp"
#include "gateway/config/secret_file.hpp"
#include "gateway/config/units.hpp"
#include "gateway/log/log.hpp"
#include "hubgate/iothub/sas_token.hpp"

namespace hubgate::cli {
namespace {

constexpr const char* kTokenUsage =
    "usage: hubgate token --hub HOST --device ID (--key B64 | --key-file F) [--policy NAME]\n"
    "                     [--ttl DURATION] [--verbose]\n"
    "Prints a SAS token for the device. With --policy, the key is that shared access policy's\n"
    "(DeviceConnect) key and the token carries skn=NAME. --ttl defaults to 1h.\n";

int run_token(std::span<const std::string> argv) {
    try {
        Args args(argv, {"hub", "device", "key", "key-file", "policy", "ttl"}, {"help", "verbose"});
        if (args.flag("help")) {
            std::fputs(kTokenUsage, stdout);
            return kExitOk;
        }
        log::init(args.flag("verbose") ? "debug" : "warn");
        auto key = args.get("key");
        auto key_file = args.get("key-file");
        if (key.has_value() == key_file.has_value()) {
            throw UsageError("give exactly one of --key and --key-file");
        }
        iothub::SasTokenSpec spec;
        spec.resource_uri =
            iothub::device_resource_uri(args.require("hub"), args.require("device"));
        if (key_file) {
            key = config::read_secret_file(*key_file);
            if (!key)
                throw UsageError("cannot read key file " + *key_file);
        }
        spec.key_base64 = *key;
        spec.policy = args.get("policy");
        auto ttl = config::parse_duration(args.get("ttl").value_or("1h"));
        if (!ttl)
            throw UsageError("--ttl: " + ttl.error);
        auto seconds = std::chrono::duration_cast<std::chrono::seconds>(*ttl.value);
        if (seconds.count() <= 0)
            throw UsageError("--ttl must be at least 1s");
        spec.expiry = iothub::expiry_after(seconds);
        std::string token = iothub::make_sas_token(spec);
        spdlog::debug("token for {}: {}", spec.resource_uri, iothub::redact_sas_token(token));
        std::printf("%s\n", token.c_str());
        return kExitOk;
    } catch (const UsageError& e) {
        std::fprintf(stderr, "hubgate token: %s\n\n%s", e.what(), kTokenUsage);
        return kExitUsage;
    } catch (const iothub::SasError& e) {
        std::fprintf(stderr, "hubgate token: %s\n", e.what());
        return kExitUsage;
    }
}

const CommandRegistrar token_command({"token", "print a SAS token for a device", &run_token});

}  // namespace
}  // namespace hubgate::cli
