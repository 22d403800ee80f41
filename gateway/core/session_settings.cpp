#include "gateway/core/session_settings.hpp"

#include <spdlog/spdlog.h>

#include <map>
#include <memory>

#include "gateway/config/device_files.hpp"
#include "gateway/config/device_keys.hpp"
#include "gateway/config/secret_file.hpp"

namespace hubgate::core {

namespace {

using std::chrono::duration_cast;
using std::chrono::seconds;

// A device whose per-device files are refused does not connect; the session retries with
// back-off, and each attempt says why (the message names the file, never its content).
void log_refused_file(const std::string& device_id, const std::string& why) {
    spdlog::error("device {}: {}", device_id, why);
}

// The x509 files of `device_id`: the certificate must exist, the private key must pass the
// secret-file rule.
std::optional<session::X509Files> device_x509_files(const std::string& cert_pattern,
                                                    const std::string& key_pattern,
                                                    const std::string& device_id) {
    std::string error;
    const auto cert = config::device_file_path(cert_pattern, device_id, error);
    const auto key = cert ? config::device_file_path(key_pattern, device_id, error) : std::nullopt;
    if (!cert || !key) {
        log_refused_file(device_id, error);
        return std::nullopt;
    }
    if (!std::filesystem::exists(*cert)) {
        return std::nullopt;
    }
    if (auto problem = config::secret_file_problem(*key)) {
        log_refused_file(device_id, *problem);
        return std::nullopt;
    }
    return session::X509Files{cert->string(), key->string()};
}

// The credentials [auth] configures. False with `error` when a secret cannot be read.
bool auth_from(const config::Config& config, session::AuthOptions& auth, std::string& error) {
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
                std::string why;
                auto key = config::read_device_secret(pattern, device_id, why);
                if (!key) {
                    log_refused_file(device_id, why);
                }
                return key;
            };
            break;
        }
        case config::AuthMode::X509:
            auth.mode = session::AuthMode::X509;
            auth.device_cert = [cert = config.auth.cert_file,
                                key = config.auth.cert_key_file](const std::string& device_id) {
                return device_x509_files(cert, key, device_id);
            };
            break;
    }
    return true;
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
    if (config.provisioning.enabled()) {
        // With DPS, device keys come from the provisioner (provisioning_setup.hpp), not [auth].
        auth.mode = session::AuthMode::DeviceKey;
    } else if (!auth_from(config, auth, error)) {
        return false;
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

}  // namespace hubgate::core
