#pragma once
// With [provisioning] mode = "dps-symmetric-key" or "dps-x509": the provisioner the daemon runs
// (group key, or the group CA's certificate and key, read here; assignments kept in the state
// directory), and the sessions' credentials taken from it: the device key derived from the group
// key, or the device's leaf certificate (leaf_certificates.hpp). A device's session finds no key
// until its device is assigned (its uplink waits in the spool as for any offline device);
// `on_assigned` then starts the session again.
//
// A session belongs to (hub, device): a device DPS assigns to another hub than [hub] hostname
// connects to that hub (its host name in the username and token, its address from
// [provisioning] hub_connect_hosts or its host name), and moves when it is assigned again.

#include <functional>
#include <memory>
#include <string>

#include "gateway/config/config.hpp"
#include "gateway/daemon/assignment_files.hpp"
#include "gateway/provisioning/leaf_certificates.hpp"
#include "gateway/provisioning/provisioner.hpp"
#include "gateway/session/session_options.hpp"

namespace hubgate::daemon {

struct Provisioning {
    std::unique_ptr<AssignmentFiles> assignments;
    std::unique_ptr<provisioning::LeafIssuer> leaves;  // dps-x509 only
    std::unique_ptr<provisioning::Provisioner> provisioner;
};

// False with `error` when the group key, the CA or the state folder cannot be read (the message
// names the file, never its content).
bool open_provisioning(const config::Config& config,
                       provisioning::Provisioner::Assigned on_assigned, Provisioning& out,
                       std::string& error);

// Device sessions sign with the key derived for their device once it is assigned, connect to
// the hub it was assigned to, and tell the provisioner when the hub refuses or accepts a device (a
// refused assignment that had worked registers again).
void use_provisioned_keys(const config::Config& config, provisioning::Provisioner& provisioner,
                          session::SessionOptions& session);

// The same with dps-x509: sessions present the device's leaf certificate (renewed when due, at
// each connect).
void use_provisioned_certificates(const config::Config& config, Provisioning& provisioning,
                                  session::SessionOptions& session);

}  // namespace hubgate::daemon
