#pragma once
// TestPki: throwaway X.509 certificates for tests, made with the openssl CLI in a folder the
// test owns: CAs, certificates they issue (EC P-256, CN as given) and self-signed device
// certificates. Keys are written 0600, as hubgate requires of a private key file.
//
//   TestPki pki(dir.path() / "pki");
//   pki.make_ca("fleet-ca", "fleet CA");
//   pki.issue("cam-1", "fleet-ca", "cam-1");          // cam-1.pem, cam-1.key
//   pki.self_signed("cam-2", "cam-2");
//   pki.thumbprint("cam-2");                          // SHA-256, lower-case hex

#include <filesystem>
#include <string>

namespace hubgate::test {

class TestPki {
  public:
    explicit TestPki(std::filesystem::path dir);

    // name.pem (self-signed, CA:TRUE) and name.key.
    void make_ca(const std::string& name, const std::string& common_name);
    // name.pem signed by `ca` (a CA of this PKI, or one given by its .pem/.key paths).
    void issue(const std::string& name, const std::string& ca, const std::string& common_name);
    void issue_with(const std::string& name, const std::filesystem::path& ca_cert,
                    const std::filesystem::path& ca_key, const std::string& common_name);
    // name.pem, self-signed, for a "selfSigned" device.
    void self_signed(const std::string& name, const std::string& common_name);

    std::filesystem::path cert(const std::string& name) const { return dir_ / (name + ".pem"); }
    std::filesystem::path key(const std::string& name) const { return dir_ / (name + ".key"); }
    // The SHA-256 thumbprint of name.pem, lower-case hex without separators.
    std::string thumbprint(const std::string& name) const;

  private:
    std::filesystem::path dir_;
};

}  // namespace hubgate::test
