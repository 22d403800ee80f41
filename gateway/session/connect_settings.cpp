#include "gateway/session/connect_settings.hpp"

#include <chrono>

#include "hubgate/iothub/device_topics.hpp"
#include "hubgate/iothub/sas_token.hpp"

namespace hubgate::session {

namespace {

bool has_port(const std::string& host) {
    if (host.starts_with("[")) {
        const auto close = host.find(']');
        return close != std::string::npos && close + 1 < host.size() && host[close + 1] == ':';
    }
    return host.find(':') != std::string::npos;
}

}  // namespace

std::string server_uri(const SessionOptions& options) {
    return server_uri(options, DeviceHub{options.hub_hostname, options.connect_host});
}

std::string server_uri(const SessionOptions& options, const DeviceHub& hub) {
    std::string host = hub.connect_host.empty() ? hub.hostname : hub.connect_host;
    const bool websocket = options.transport == Transport::MqttWebSocket;
    if (!has_port(host)) {
        host += websocket ? ":443" : ":8883";
    }
    return websocket ? "wss://" + host + "/$iothub/websocket" : "ssl://" + host;
}

std::variant<DeviceConnect, std::string> make_device_connect(const SessionOptions& options,
                                                             const std::string& device_id,
                                                             WallTime now) {
    DeviceConnect connect;
    transport::ConnectRequest& request = connect.request;
    // The device's hub: its host name signs and names the session, its address is dialled.
    auto own_hub = options.device_hub ? options.device_hub(device_id) : std::nullopt;
    const DeviceHub hub =
        own_hub ? std::move(*own_hub) : DeviceHub{options.hub_hostname, options.connect_host};
    connect.server_uri = server_uri(options, hub);
    connect.hub_hostname = hub.hostname;
    request.username =
        iothub::mqtt_username(hub.hostname, device_id, options.api_version, options.model_id);
    request.tls.ca_file = options.ca_file;
    request.http_proxy = options.http_proxy;
    request.keep_alive = options.keep_alive;
    request.connect_timeout = options.connect_timeout;

    const AuthOptions& auth = options.auth;
    if (auth.mode == AuthMode::X509) {
        auto files = auth.device_cert ? auth.device_cert(device_id) : std::nullopt;
        if (!files) {
            return std::string("no client certificate configured for this device");
        }
        request.tls.cert_file = files->cert_file;
        request.tls.key_file = files->key_file;
        return connect;
    }

    iothub::SasTokenSpec spec;
    spec.resource_uri = iothub::device_resource_uri(hub.hostname, device_id);
    spec.expiry = iothub::expiry_after(auth.token_ttl, now);
    if (auth.mode == AuthMode::Policy) {
        spec.key_base64 = auth.policy_key;
        spec.policy = auth.policy_name;
    } else {
        auto key = auth.device_key ? auth.device_key(device_id) : std::nullopt;
        if (!key) {
            return std::string("no key configured for this device");
        }
        spec.key_base64 = std::move(*key);
    }
    try {
        request.password = iothub::make_sas_token(spec);
    } catch (const iothub::SasError& e) {
        return std::string(e.what());
    }
    connect.token_expiry = WallTime(std::chrono::seconds(spec.expiry));
    return connect;
}

}  // namespace hubgate::session
