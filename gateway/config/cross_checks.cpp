#include "gateway/config/cross_checks.hpp"

#include "gateway/config/units.hpp"

namespace hubgate::config {

namespace {

class Rules {
  public:
    Rules(const Config& config, const std::set<std::string>& faulty, std::vector<Diagnostic>& out)
        : config_(config), faulty_(faulty), out_(out) {}

    bool is_set(const std::string& key) const { return config_.positions.contains(key); }

    bool any_faulty(std::initializer_list<std::string> keys) const {
        for (const auto& key : keys) {
            if (faulty_.contains(key))
                return true;
        }
        return false;
    }

    // Reports `message` about `key_path` at the line of `at_key`, or of the nearest enclosing
    // table that is in the file, or at the top of the file.
    void error(std::string at_key, const std::string& key_path, std::string message) {
        SourcePos where{config_.source_file, 1, 1};
        while (!at_key.empty()) {
            if (auto it = config_.positions.find(at_key); it != config_.positions.end()) {
                where = it->second;
                break;
            }
            const auto dot = at_key.rfind('.');
            at_key.resize(dot == std::string::npos ? 0 : dot);
        }
        out_.push_back({where.file, where.line, where.col, key_path, std::move(message)});
    }

  private:
    const Config& config_;
    const std::set<std::string>& faulty_;
    std::vector<Diagnostic>& out_;
};

void check_auth(const Config& c, Rules& rules) {
    if (rules.any_faulty({"auth.mode"}))
        return;
    auto require = [&](bool present, const std::string& key, std::string_view mode) {
        if (!present && !rules.any_faulty({key})) {
            rules.error("auth.mode", key,
                        "required when auth.mode is \"" + std::string(mode) + "\"");
        }
    };
    switch (c.auth.mode) {
        case AuthMode::Policy:
            require(!c.auth.policy_name.empty(), "auth.policy_name", "policy");
            require(!c.auth.key_file.empty(), "auth.key_file", "policy");
            break;
        case AuthMode::DeviceKeys: {
            const bool table = !c.auth.device_keys_file.empty();
            const bool pattern = !c.auth.device_key_file.empty();
            if (table && pattern) {
                rules.error("auth.device_key_file", "auth.device_key_file",
                            "set either device_keys_file or device_key_file, not both");
            } else if (!table && !pattern &&
                       !rules.any_faulty({"auth.device_keys_file", "auth.device_key_file"})) {
                rules.error("auth.mode", "auth.device_keys_file",
                            "auth.mode \"device-keys\" needs device_keys_file (one file of keys) "
                            "or device_key_file (a file per device)");
            }
            break;
        }
        case AuthMode::X509:
            require(!c.auth.cert_file.empty(), "auth.cert_file", "x509");
            require(!c.auth.cert_key_file.empty(), "auth.cert_key_file", "x509");
            break;
    }
}

void check_provisioning(const Config& c, Rules& rules) {
    if (rules.any_faulty({"provisioning.mode"}))
        return;
    const auto& p = c.provisioning;
    if (p.mode == ProvisioningMode::None)
        return;
    const bool x509 = p.mode == ProvisioningMode::DpsX509;
    const std::string mode = x509 ? "\"dps-x509\"" : "\"dps-symmetric-key\"";
    auto require = [&](bool present, const std::string& key) {
        if (!present && !rules.any_faulty({key}))
            rules.error("provisioning.mode", key, "required when provisioning.mode is " + mode);
    };
    require(!p.id_scope.empty(), "provisioning.id_scope");
    if (!x509) {
        require(!p.group_key_file.empty(), "provisioning.group_key_file");
        return;
    }
    require(!p.ca_cert_file.empty(), "provisioning.ca_cert_file");
    require(!p.ca_key_file.empty(), "provisioning.ca_key_file");
    if (p.leaf_renew_before >= p.leaf_lifetime &&
        !rules.any_faulty({"provisioning.leaf_renew_before", "provisioning.leaf_lifetime"})) {
        rules.error("provisioning.leaf_renew_before", "provisioning.leaf_renew_before",
                    "must be shorter than provisioning.leaf_lifetime");
    }
}

void check_hub(const Config& c, Rules& rules) {
    if (!c.hub.proxy.empty() && c.hub.transport != Transport::MqttWs &&
        !rules.any_faulty({"hub.transport"})) {
        rules.error("hub.proxy", "hub.proxy",
                    "needs transport = \"mqtt-ws\" (only WebSocket connections go through an HTTP "
                    "proxy)");
    }
}

void check_local(const Config& c, Rules& rules) {
    if (!c.local.password_file.empty() && c.local.username.empty() &&
        !rules.any_faulty({"local.username"})) {
        rules.error("local.password_file", "local.username",
                    "required when local.password_file is set");
    }
    const auto& tls = c.local.tls;
    if (!tls.cert_file.empty() && tls.key_file.empty() &&
        !rules.any_faulty({"local.tls.key_file"})) {
        rules.error("local.tls.cert_file", "local.tls.key_file",
                    "required when local.tls.cert_file is set");
    }
    if (!tls.key_file.empty() && tls.cert_file.empty() &&
        !rules.any_faulty({"local.tls.cert_file"})) {
        rules.error("local.tls.key_file", "local.tls.cert_file",
                    "required when local.tls.key_file is set");
    }
    if (!tls.cert_file.empty() && tls.ca_file.empty() && !rules.any_faulty({"local.tls.ca_file"})) {
        rules.error("local.tls.cert_file", "local.tls.ca_file",
                    "required when local.tls.cert_file is set (the broker's certificate is "
                    "always verified)");
    }
}

void check_sessions(const Config& c, Rules& rules) {
    const auto& backoff = c.sessions.backoff;
    if (backoff.min > backoff.max &&
        !rules.any_faulty({"sessions.backoff.min", "sessions.backoff.max"})) {
        const bool min_set = rules.is_set("sessions.backoff.min");
        rules.error(min_set ? "sessions.backoff.min" : "sessions.backoff.max",
                    min_set ? "sessions.backoff.min" : "sessions.backoff.max",
                    "backoff.min (" + format_duration(backoff.min) +
                        ") must not be longer than backoff.max (" + format_duration(backoff.max) +
                        ")");
    }
}

}  // namespace

void run_cross_checks(const Config& config, const std::set<std::string>& faulty,
                      std::vector<Diagnostic>& out) {
    Rules rules(config, faulty, out);
    check_hub(config, rules);
    check_provisioning(config, rules);
    // With DPS the device keys are derived from the group key: [auth] has nothing to require.
    if (!config.provisioning.enabled())
        check_auth(config, rules);
    check_local(config, rules);
    check_sessions(config, rules);
}

void fill_derived_values(Config& config) {
    auto& connect = config.hub.connect_host;
    if (connect.host.empty())
        connect.host = config.hub.hostname;
    if (connect.port == 0) {
        connect.port = default_port(config.hub.transport);
    }
    auto& dps = config.provisioning.connect_host;
    if (dps.host.empty())
        dps.host = config.provisioning.global_endpoint;
    if (dps.port == 0)
        dps.port = default_port(Transport::Mqtt);
    for (auto& plugin : config.plugins.plugins) {
        if (!plugin.file.empty() && plugin.file.is_relative()) {
            plugin.file = (config.plugins.dir / plugin.file).lexically_normal();
        }
        plugin.where = config.position_of("plugins." + plugin.name);
    }
    if (config.metrics.listen && config.metrics.listen->host.empty()) {
        config.metrics.listen->host = "127.0.0.1";  // a bare port never opens to the network
    }
}

}  // namespace hubgate::config
