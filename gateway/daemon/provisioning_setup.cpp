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
    const bool x509 = p.mode == config::ProvisioningMode::DpsX509;
    std::optional<std::string> group_key;
    if (x509) {
        const auto ca_key = config::read_secret_file(p.ca_key_file);
        if (!ca_key) {
            error = "cannot read the group CA's key file " + p.ca_key_file.string();
            return false;
        }
        try {
            out.leaves = std::make_unique<provisioning::LeafIssuer>(provisioning::LeafSettings{
                p.ca_cert_file, *ca_key + "\n", config.state.dir / "certificates",
                std::chrono::duration_cast<std::chrono::seconds>(p.leaf_lifetime),
                std::chrono::duration_cast<std::chrono::seconds>(p.leaf_renew_before)});
        } catch (const provisioning::LeafError& e) {
            error = std::string("provisioning: ") + e.what();
            return false;
        }
    } else {
        group_key = config::read_secret_file(p.group_key_file);
        if (!group_key) {
            error = "cannot read the enrollment group key file " + p.group_key_file.string();
            return false;
        }
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
    if (out.leaves) {
        options.leaf_certificate = [leaves = out.leaves.get()](const std::string& id,
                                                               std::string& why) {
            return leaves->ensure(id, why);
        };
    } else {
        options.group_key = std::move(*group_key);
    }
    options.payload_template = p.payload_json;
    options.registration_rate = p.registration_rate;
    options.refused_wait = config.sessions.refused_backoff;
    out.provisioner = std::make_unique<provisioning::Provisioner>(
        std::move(options), std::make_unique<transport::MosquittoUpstreamFactory>(),
        *out.assignments, std::move(on_assigned));
    return true;
}

namespace {

// Whether the device is assigned under the id its mapping renders; otherwise its registration
// is queued (or DPS gave it another id, which is logged). Which hub it was assigned to is the
// session's to dial (device_hub below).
bool assigned(provisioning::Provisioner& provisioner, const std::string& device_id) {
    const auto assignment = provisioner.assignment_or_request(device_id);
    if (!assignment)
        return false;  // being provisioned: the session tries again when assigned
    if (assignment->device_id != device_id) {
        spdlog::error(
            "device {}: DPS assigned it as device {}; hubgate connects devices under the "
            "id their mapping renders only",
            device_id, assignment->device_id);
        return false;
    }
    return true;
}

// A session belongs to (hub, device): the assigned hub names and signs it, and its address
// (hub_connect_hosts, else its host name) is dialled.
void use_assigned_hubs(const config::Config& config, provisioning::Provisioner& provisioner,
                       session::SessionOptions& session) {
    session.device_hub =
        [&provisioner, config](const std::string& device_id) -> std::optional<session::DeviceHub> {
        const auto assignment = provisioner.assignment_or_request(device_id);
        if (!assignment)
            return std::nullopt;  // not assigned yet: no key either, no CONNECT is made
        return session::DeviceHub{assignment->assigned_hub,
                                  config::hub_connect_host(config, assignment->assigned_hub)};
    };
}

void report_hub_answers(provisioning::Provisioner& provisioner, session::AuthOptions& auth) {
    auth.on_refused = [&provisioner](const std::string& device_id) {
        provisioner.hub_refused(device_id);
    };
    auth.on_accepted = [&provisioner](const std::string& device_id) {
        provisioner.hub_accepted(device_id);
    };
}

}  // namespace

void use_provisioned_certificates(const config::Config& config, Provisioning& provisioning,
                                  session::SessionOptions& session) {
    auto& auth = session.auth;
    auth.mode = session::AuthMode::X509;
    auth.device_cert =
        [&provisioning](const std::string& device_id) -> std::optional<session::X509Files> {
        if (!assigned(*provisioning.provisioner, device_id))
            return std::nullopt;
        std::string error;
        const auto files = provisioning.leaves->ensure(device_id, error);
        if (!files) {
            spdlog::error("device {}: no leaf certificate: {}", device_id, error);
            return std::nullopt;
        }
        return session::X509Files{files->cert_file, files->key_file};
    };
    use_assigned_hubs(config, *provisioning.provisioner, session);
    report_hub_answers(*provisioning.provisioner, auth);
}

void use_provisioned_keys(const config::Config& config, provisioning::Provisioner& provisioner,
                          session::SessionOptions& session) {
    auto& auth = session.auth;
    auth.mode = session::AuthMode::DeviceKey;
    auth.device_key = [&provisioner](const std::string& device_id) -> std::optional<std::string> {
        if (!assigned(provisioner, device_id))
            return std::nullopt;
        return provisioner.device_key(device_id);
    };
    use_assigned_hubs(config, provisioner, session);
    report_hub_answers(provisioner, auth);
}

}  // namespace hubgate::daemon
