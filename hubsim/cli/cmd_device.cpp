// `hubsim device add ID [--key B64] [--secondary-key B64]`: registers a device (keys generated
// when not given) and prints its identity.

#include <openssl/rand.h>

#include <nlohmann/json.hpp>

#include "gateway/cli/command.hpp"
#include "hubgate/iothub/encoding.hpp"
#include "hubsim/cli/service_command.hpp"

namespace hubsim::cli {

namespace {

using hubgate::cli::UsageError;

// 32 random bytes, base64: the kind of key IoT Hub generates.
std::string random_key() {
    std::string bytes(32, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), 32) != 1) {
        throw std::runtime_error("no random bytes for a device key");
    }
    return hubgate::iothub::base64_encode(bytes);
}

std::string checked_key(const std::optional<std::string>& key) {
    if (!key)
        return random_key();
    if (!hubgate::iothub::base64_decode(*key))
        throw UsageError("the key is not valid base64");
    return *key;
}

int device_add(const hubgate::cli::Args& args) {
    const auto& positional = args.positional();
    if (positional.size() != 2 || positional[0] != "add") {
        throw UsageError("expected `device add ID`");
    }
    const auto& id = positional[1];
    const nlohmann::json identity{{"deviceId", id},
                                  {"status", "enabled"},
                                  {"authentication",
                                   {{"type", "sas"},
                                    {"symmetricKey",
                                     {{"primaryKey", checked_key(args.get("key"))},
                                      {"secondaryKey", checked_key(args.get("secondary-key"))}}}}}};
    return print_reply(service_client(args).call("PUT", "/devices/" + id, identity.dump()));
}

int cmd_device(std::span<const std::string> argv) {
    return run_service_command(
        argv, {"key", "secondary-key"}, {},
        std::string("device add ID [--key B64] [--secondary-key B64] ") + kServiceUsage,
        device_add);
}

const hubgate::cli::CommandRegistrar device_command(
    {"device", "device add ID: register a device in a running hub", &cmd_device});

}  // namespace

}  // namespace hubsim::cli
