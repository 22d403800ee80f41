#pragma once
// With [provisioning] mode = "dps-x509", hubgate holds an (intermediate) CA of the enrollment
// group and issues each device its own leaf certificate: CN = the registration id, an EC P-256
// key, signed by that CA (OpenSSL's C API). The leaf (followed by the CA's chain) and its key
// are kept in state.dir/certificates/ (mode 0600), reused across restarts, and issued again
// when missing, unreadable, from another CA, or within `renew_before` of their end. Thread-safe
// (the provisioner and the session manager both ask). Keys never reach a log or an error text.

#include <chrono>
#include <filesystem>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>

#include "gateway/provisioning/registration_client.hpp"

namespace hubgate::provisioning {

struct LeafError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct LeafSettings {
    std::filesystem::path ca_cert_file;  // PEM: the CA certificate, then its chain (optional)
    std::string ca_key_pem;              // the CA's private key (PEM); never logged
    std::filesystem::path dir;           // where the leaves are kept
    std::chrono::seconds lifetime{std::chrono::hours(24 * 30)};
    std::chrono::seconds renew_before{std::chrono::hours(24 * 7)};
};

class LeafIssuer {
  public:
    // Throws LeafError when the CA certificate or key cannot be read, or do not belong together.
    explicit LeafIssuer(LeafSettings settings);
    ~LeafIssuer();
    LeafIssuer(const LeafIssuer&) = delete;
    LeafIssuer& operator=(const LeafIssuer&) = delete;

    // The device's leaf files, issued or renewed first when needed; nullopt with `error` (a
    // message without secrets) when that fails or `registration_id` is not a valid one.
    std::optional<ClientCertificateFiles> ensure(const std::string& registration_id,
                                                 std::string& error);
    // How many leaves this issuer wrote (issued or renewed) since it was made.
    unsigned issued() const;

  private:
    struct Ca;
    bool reusable(const ClientCertificateFiles& files, const std::string& registration_id) const;
    void issue(const ClientCertificateFiles& files, const std::string& registration_id);

    const LeafSettings settings_;
    std::unique_ptr<Ca> ca_;
    mutable std::mutex mutex_;
    unsigned issued_ = 0;
};

}  // namespace hubgate::provisioning
