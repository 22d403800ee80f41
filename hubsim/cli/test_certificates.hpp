#pragma once
// The test PKI `hubsim run` creates when no certificate is configured: a private CA and a server
// certificate it signed, valid for localhost, 127.0.0.1, ::1 and the hub's host name
// (SDKs connect to 127.0.0.1 without SNI, so the IP SANs matter as much as the names).

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace hubsim::cli {

struct CertificateError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Where the generated files are (PEM; keys are mode 0600).
struct TestCertificates {
    std::filesystem::path ca_cert;
    std::filesystem::path ca_key;
    std::filesystem::path server_cert;
    std::filesystem::path server_key;
};

// The files in `dir` (ca.pem, ca.key, server.pem, server.key). Reuses them when they exist, the
// server certificate still covers `hostname` and has not expired; generates them otherwise.
// Throws CertificateError on an OpenSSL or file failure.
TestCertificates ensure_test_certificates(const std::filesystem::path& dir,
                                          const std::string& hostname);
// The same for a server certificate valid for several host names (every hub of a hubsim with
// [[hubs]]; the first is the certificate's common name).
TestCertificates ensure_test_certificates(const std::filesystem::path& dir,
                                          const std::vector<std::string>& hostnames);

}  // namespace hubsim::cli
