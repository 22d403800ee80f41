#include "gateway/daemon/session_settings.hpp"

#include "gateway/config/device_keys.hpp"
#include "gateway/config/secret_file.hpp"

#include <map>
#include <memory>

namespace hubgate::daemon {

namespace {

using std::chrono::duration_cast;
using std::chrono::seconds;

std::string expand_device(std::string pattern, const std::string& device_id) {
    for (auto at = pattern.find("{device}"); at != std::string::npos;
         at = pattern.find("{device}", at + device_id.size())) {
        pattern.replace(at, 8, device_id);
    }
    return pattern;
}

}  // namespace

bool session_settings_from(const config::Config& config, SessionSettings& settings,
                           std::string& error) {
    auto& s = settings.session;
    s.hub_hostname = config.hub.hostname;
    s.connect_host = config.hub.connect_host.to_string();
    s.transport = config.hub.transport == config::Transport::MqttWs
                      ? session::Transport::MqttWebSocket
                      : session::Transport::Mqtt;
    s.ca_file = config.hub.ca_file.string();
    s.http_proxy = config.hub.proxy;
    s.api_version = config.hub.api_version;
    s.model_id = config.hub.model_id;
    s.keep_alive = duration_cast<seconds>(config.hub.keepalive);
    s.reconnect_backoff.min = config.sessions.backoff.min;
    s.reconnect_backoff.max = config.sessions.backoff.max;
    s.refused_backoff.min = config.sessions.refused_backoff;
    s.refused_backoff.max = std::max(config.sessions.refused_backoff, s.refused_backoff.max);
    s.replaced_retry = config.sessions.replaced_retry;
    s.renewal.fraction = config.auth.renew_at;

    auto& auth = s.auth;
    auth.token_ttl = duration_cast<seconds>(config.auth.token_ttl);
    switch (config.auth.mode) {
        case config::AuthMode::Policy: {
            auth.mode = session::AuthMode::Policy;
            auth.policy_name = config.auth.policy_name;
            auto key = config::read_secret_file(config.auth.key_file);
            if (!key) {
                error = "cannot read the policy key file " + config.auth.key_file.string();
                return false;
            }
            auth.policy_key = std::move(*key);
            break;
        }
        case config::AuthMode::DeviceKeys: {
            auth.mode = session::AuthMode::DeviceKey;
            auto keys = std::make_shared<std::map<std::string, std::string>>();
            if (!config.auth.device_keys_file.empty()) {
                auto loaded = config::load_device_keys(config.auth.device_keys_file);
                if (!loaded.ok()) {
                    error = config::format_diagnostic(loaded.diagnostics.front());
                    return false;
                }
                *keys = std::move(loaded.keys);
            }
            auth.device_key = [keys, pattern = config.auth.device_key_file](
                                  const std::string& device_id) -> std::optional<std::string> {
                if (const auto found = keys->find(device_id); found != keys->end()) {
                    return found->second;
                }
                if (pattern.empty()) {
                    return std::nullopt;
                }
                return config::read_secret_file(expand_device(pattern, device_id));
            };
            break;
        }
        case config::AuthMode::X509:
            auth.mode = session::AuthMode::X509;
            auth.device_cert =
                [cert = config.auth.cert_file, key = config.auth.cert_key_file](
                    const std::string& device_id) -> std::optional<session::X509Files> {
                session::X509Files files{expand_device(cert, device_id),
                                         expand_device(key, device_id)};
                if (!std::filesystem::exists(files.cert_file) ||
                    !std::filesystem::exists(files.key_file)) {
                    return std::nullopt;
                }
                return files;
            };
            break;
    }

    auto& m = settings.manager;
    m.connect_rate = config.sessions.connect_rate;
    m.twin_read_rate = config.sessions.twin_read_rate;
    m.twin_update_rate = config.sessions.twin_update_rate;
    // 0 in the config means "never close idle sessions".
    m.idle_timeout = config.sessions.idle_timeout.count() > 0
                         ? config.sessions.idle_timeout
                         : session::Millis(std::chrono::hours(24 * 365));
    return true;
}

}  // namespace hubgate::daemon
