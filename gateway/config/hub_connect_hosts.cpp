#include "gateway/config/hub_connect_hosts.hpp"

#include <strings.h>

#include "gateway/config/value_reader.hpp"

namespace hubgate::config {

namespace {

bool same_host(const std::string& a, const std::string& b) {
    return ::strcasecmp(a.c_str(), b.c_str()) == 0;
}

}  // namespace

std::optional<HubConnectHost> parse_hub_connect_host(std::string_view entry, std::string& error) {
    const auto equals = entry.find('=');
    if (equals == std::string_view::npos || equals == 0 || equals + 1 == entry.size()) {
        error = "\"" + std::string(entry) +
                "\" is not \"hub-host-name=host[:port]\" (such as "
                "\"plant-b.azure-devices.net=127.0.0.1:41237\")";
        return std::nullopt;
    }
    HubConnectHost out;
    out.hub = std::string(entry.substr(0, equals));
    if (out.hub.find_first_of(":/ ") != std::string::npos) {
        error = "\"" + out.hub + "\" is not a hub host name (no port, no path)";
        return std::nullopt;
    }
    std::string why;
    const auto address = parse_endpoint(entry.substr(equals + 1), why);
    if (!address || address->host.empty()) {
        error = "\"" + std::string(entry) + "\": the address needs a host: " +
                (why.empty() ? std::string("\"host\" or \"host:port\"") : why);
        return std::nullopt;
    }
    out.address = *address;
    return out;
}

std::string hub_connect_host(const Config& config, const std::string& hub) {
    if (same_host(hub, config.hub.hostname))
        return config.hub.connect_host.to_string();
    const uint16_t port = default_port(config.hub.transport);
    for (const auto& entry : config.provisioning.hub_connect_hosts) {
        std::string ignored;  // the schema refused bad entries
        auto parsed = parse_hub_connect_host(entry, ignored);
        if (parsed && same_host(parsed->hub, hub)) {
            if (parsed->address.port == 0)
                parsed->address.port = port;
            return parsed->address.to_string();
        }
    }
    return Endpoint{hub, port}.to_string();
}

}  // namespace hubgate::config
