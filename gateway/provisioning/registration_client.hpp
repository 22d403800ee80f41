#pragma once
// One device's registration with the Device Provisioning Service over MQTT (api-version
// 2019-03-31), on the same upstream connections as the device sessions (libmosquitto over TLS,
// session/upstream.hpp): CONNECT as the registration id with a registration SAS token,
// subscribe to the answers, PUT iotdps-register with a $rid, then poll
// GET iotdps-get-operationstatus as long as the answer is "assigning", waiting what retry-after
// says. 429 and 5xx answers are retried with back-off within the registration's deadline. The
// connection is closed when the registration ends: an assigned device costs nothing at DPS.
// Blocking: runs on the provisioner's worker thread.

#include <atomic>
#include <chrono>
#include <string>

#include "gateway/provisioning/registration_answer.hpp"
#include "gateway/session/retry_policy.hpp"
#include "gateway/transport/upstream.hpp"

namespace hubgate::provisioning {

struct RegistrationSettings {
    std::string server_uri;  // "ssl://host:port"
    std::string id_scope;
    std::string ca_file;  // empty: the system trust store
    std::string client_version = "hubgate";
    std::chrono::seconds token_ttl{3600};
    std::chrono::seconds connect_timeout{30};
    // How long to wait before polling when an answer carries no retry-after.
    std::chrono::milliseconds default_poll{std::chrono::seconds(2)};
    // A registration that has not ended by then is given up (and tried again later).
    std::chrono::milliseconds deadline{std::chrono::minutes(5)};
    // Waits after 429 without retry-after, and after 5xx.
    session::BackoffOptions backoff{std::chrono::seconds(1), std::chrono::seconds(60), 2.0};
};

// A client certificate and its key (PEM files), for X.509 attestation.
struct ClientCertificateFiles {
    std::string cert_file;
    std::string key_file;
};

struct RegistrationRequest {
    std::string registration_id;
    std::string device_key;    // base64, derived from the group key; never logged
    std::string payload_json;  // custom allocation data; empty: none
    // X.509 attestation: the CONNECT carries no SAS token; TLS presents this certificate.
    ClientCertificateFiles certificate{};
};

enum class RegistrationOutcome {
    Assigned,  // answer holds the hub and device id
    Failed,    // DPS said failed, or refused the request (4xx): retried after a long wait
    Disabled,  // the enrollment (group) is disabled
    Error,     // no answer: network, TLS, refused CONNECT, timeout, 5xx/429 past the deadline
    Stopped,   // the daemon is stopping
};

std::string_view outcome_name(RegistrationOutcome outcome);

struct RegistrationResult {
    RegistrationOutcome outcome = RegistrationOutcome::Error;
    RegistrationAnswer answer;
    std::string message;     // what happened, for the log and `hubgate status`; holds no secret
    unsigned throttled = 0;  // 429 answers on the way
};

// Runs one registration to its end. `stopping` ends it early (checked while waiting).
RegistrationResult register_device(transport::UpstreamFactory& factory,
                                   const RegistrationSettings& settings,
                                   const RegistrationRequest& request,
                                   const std::atomic<bool>& stopping);

}  // namespace hubgate::provisioning
