#pragma once
// What the hub learns from a device's verified client certificate: its thumbprints, its subject's
// CN, and whether a registered CA issued it (IoT Hub's "certificateAuthority" devices). mosquitto
// has already verified the chain against the listener's trust file; that file also holds
// self-signed device certificates, so the CA check is made again here against the registered
// CAs only.

#include <openssl/types.h>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace hubsim {

struct ClientCertificate {
    std::string thumbprint_sha1;    // lower-case hex
    std::string thumbprint_sha256;  // lower-case hex
    std::string common_name;        // empty when the subject has none
    bool issued_by_registered_ca = false;
};

// Thrown when a CA file cannot be read or holds no certificate.
struct CertificateFileError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// The registered CAs ([[certificate_authorities]]), as a trust store of their certificates.
class RegisteredCas {
  public:
    // Every certificate of every PEM file becomes a trust anchor (an intermediate needs no root:
    // mosquitto gives the plugin the device's own certificate only, not the chain it sent).
    explicit RegisteredCas(const std::vector<std::string>& pem_files);
    // The certificates of PEM text; throws CertificateFileError when it holds none.
    static std::unique_ptr<RegisteredCas> from_pem(const std::string& pem);
    ~RegisteredCas();
    RegisteredCas(const RegisteredCas&) = delete;
    RegisteredCas& operator=(const RegisteredCas&) = delete;

    // Whether `certificate` verifies (signature, validity period) up to one of the CAs.
    bool issued(X509* certificate) const;
    // The same for the first certificate of PEM text (false when there is none).
    bool issued_pem(const std::string& pem) const;
    // Adds the certificates of PEM text (a CA registered while running); returns how many.
    // Safe while another thread verifies (X509_STORE locks itself).
    int add_pem(const std::string& pem);

  private:
    X509_STORE* store_ = nullptr;
};

ClientCertificate describe_client_certificate(X509* certificate, const RegisteredCas& cas);

// A certificate as PEM text ("" when it cannot be encoded).
std::string certificate_pem(X509* certificate);

// What the DPS REST API shows of a signing certificate (x509.signingCertificates.*.info).
struct CertificateInfo {
    std::string subject_name;  // "CN=fleet CA, O=..." (RFC 2253 order)
    std::string issuer_name;
    std::string sha1_thumbprint;  // upper-case hex, as DPS shows them
    std::string sha256_thumbprint;
};
// The first certificate of PEM text, or of base64 text holding PEM or DER (as the REST API
// accepts it); nullopt when there is none. `pem_out` receives it as PEM.
std::optional<CertificateInfo> read_signing_certificate(const std::string& text,
                                                        std::string& pem_out);

// The SHA-256 thumbprint (lower-case hex) of the first certificate in a PEM file. Throws
// CertificateFileError when the file cannot be read or holds no certificate.
std::string certificate_file_thumbprint(const std::string& pem_file);

}  // namespace hubsim
