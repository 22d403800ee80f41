#include "gateway/daemon/provisioning_setup.hpp"

#include <spdlog/spdlog.h>

#include "gateway/config/hub_connect_hosts.hpp"
#include "gateway/config/secret_file.hpp"
#include "gateway/transport/mosquitto_upstream.hpp"

namespace hubgate::daemon {

bool open_provisioning(const config::Config& config,
                       provisioning::Provisioner::Assigned on_assigned, Provisioning& out,
                       std::string& error) {
    const auto& p = config.provisioning;
    auto group_key = config::read_secret_file(p.group_key_file);
    if (!group_key) {
        error = "cannot read the enrollment group key file " + p.group_key_file.string();
        return false;
    }
    out.assignments = std::make_unique<AssignmentFiles>(config.state.dir);
    if (!out.assignments->load(error)) {
        error = "state: " + error;
        return false;
    }
    provisioning::ProvisionerOptions options;
    auto& registration = options.registration;
    registration.server_uri = "ssl://" + p.connect_host.to_string();
    registration.id_scope = p.id_scope;
    registration.ca_file = p.ca_file.string();
    registration.client_version = "hubgate";
    options.group_key = std::move(*group_key);
    options.payload_template = p.payload_json;
    options.registration_rate = p.registration_rate;
    options.refused_wait = config.sessions.refused_backoff;
    out.provisioner = std::make_unique<provisioning::Provisioner>(
        std::move(options), std::make_unique<session::MosquittoUpstreamFactory>(), *out.assignments,
        std::move(on_assigned));
    return true;
}

void use_provisioned_keys(const config::Config& config, provisioning::Provisioner& provisioner,
                          session::SessionOptions& session) {
    auto& auth = session.auth;
    auth.mode = session::AuthMode::DeviceKey;
    auth.device_key = [&provisioner](const std::string& device_id) -> std::optional<std::string> {
        const auto assignment = provisioner.assignment_or_request(device_id);
        if (!assignment)
            return std::nullopt;  // being provisioned: the session tries again when assigned
        if (assignment->device_id != device_id) {
            spdlog::error(
                "device {}: DPS assigned it as device {}; hubgate connects devices under the "
                "id their mapping renders only",
                device_id, assignment->device_id);
            return std::nullopt;
        }
        return provisioner.device_key(device_id);
    };
    // A session belongs to (hub, device): the assigned hub names and signs it, and its
    // address (hub_connect_hosts, else its host name) is dialled.
    session.device_hub =
        [&provisioner, config](const std::string& device_id) -> std::optional<session::DeviceHub> {
        const auto assignment = provisioner.assignment_or_request(device_id);
        if (!assignment)
            return std::nullopt;  // not assigned yet: no key either, no CONNECT is made
        return session::DeviceHub{assignment->assigned_hub,
                                  config::hub_connect_host(config, assignment->assigned_hub)};
    };
    auth.on_refused = [&provisioner](const std::string& device_id) {
        provisioner.hub_refused(device_id);
    };
    auth.on_accepted = [&provisioner](const std::string& device_id) {
        provisioner.hub_accepted(device_id);
    };
}

}  // namespace hubgate::daemon
