#include "hubsim/cli/test_certificates.hpp"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdio>
#include <ctime>
#include <memory>
#include <utility>
#include <vector>

namespace hubsim::cli {

namespace {

namespace fs = std::filesystem;

struct Free {
    void operator()(X509* p) const { X509_free(p); }
    void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
    void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
    void operator()(BIGNUM* p) const { BN_free(p); }
    void operator()(FILE* p) const { std::fclose(p); }
};
using X509Ptr = std::unique_ptr<X509, Free>;
using KeyPtr = std::unique_ptr<EVP_PKEY, Free>;

constexpr long kDay = 24L * 3600;
constexpr long kCaLifetime = 10 * 365 * kDay;
// Within the 825 days TLS clients (Apple, some browsers) accept for a server certificate.
constexpr long kServerLifetime = 800 * kDay;

[[noreturn]] void fail(const std::string& what) {
    const auto code = ERR_get_error();
    char detail[256] = "";
    if (code != 0) {
        ERR_error_string_n(code, detail, sizeof detail);
    }
    ERR_clear_error();
    throw CertificateError("certificate generation: " + what +
                           (code ? std::string(": ") + detail : ""));
}

KeyPtr new_key() {
    KeyPtr key(EVP_EC_gen("P-256"));
    if (!key)
        fail("cannot generate a P-256 key");
    return key;
}

void add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    std::unique_ptr<X509_EXTENSION, Free> ext(
        X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
    if (!ext || X509_add_ext(cert, ext.get(), -1) != 1)
        fail("cannot add extension " + value);
}

// A certificate for `key`, named `common_name`, signed by `issuer_key` (self-signed when
// `issuer` is null), with the given extensions.
X509Ptr new_certificate(EVP_PKEY* key, const std::string& common_name, X509* issuer,
                        EVP_PKEY* issuer_key, long lifetime,
                        const std::vector<std::pair<int, std::string>>& extensions) {
    X509Ptr cert(X509_new());
    if (!cert)
        fail("X509_new");
    X509_set_version(cert.get(), 2);  // v3
    unsigned char serial_bytes[16];
    if (RAND_bytes(serial_bytes, sizeof serial_bytes) != 1)
        fail("RAND_bytes");
    serial_bytes[0] &= 0x7f;  // a positive serial
    std::unique_ptr<BIGNUM, Free> serial(BN_bin2bn(serial_bytes, sizeof serial_bytes, nullptr));
    if (!serial || !BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get()))) {
        fail("cannot set the serial number");
    }
    // Back-dated an hour so a client whose clock is a little behind still accepts it.
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), lifetime);
    X509_set_pubkey(cert.get(), key);
    auto* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>("hubsim"), -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                               0);
    X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name);
    for (const auto& [nid, value] : extensions) {
        add_extension(cert.get(), issuer ? issuer : cert.get(), nid, value);
    }
    if (X509_sign(cert.get(), issuer_key, EVP_sha256()) == 0)
        fail("cannot sign " + common_name);
    return cert;
}

std::unique_ptr<FILE, Free> open_private(const fs::path& path, const char* mode, mode_t perms) {
    // Created with its final permissions: a key is never readable by others, even briefly.
    const auto old_mask = ::umask(static_cast<mode_t>(~perms & 0777));
    std::unique_ptr<FILE, Free> file(std::fopen(path.c_str(), mode));
    ::umask(old_mask);
    if (!file)
        throw CertificateError("certificate generation: cannot write " + path.string());
    return file;
}

void write_cert(const fs::path& path, X509* cert) {
    auto file = open_private(path, "w", 0644);
    if (PEM_write_X509(file.get(), cert) != 1)
        fail("cannot write " + path.string());
}

void write_key(const fs::path& path, EVP_PKEY* key) {
    fs::remove(path);  // so a fresh file gets mode 0600 even if an old one was wider
    auto file = open_private(path, "w", 0600);
    if (PEM_write_PrivateKey(file.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
        fail("cannot write " + path.string());
    }
}

X509Ptr read_cert(const fs::path& path) {
    std::unique_ptr<FILE, Free> file(std::fopen(path.c_str(), "r"));
    if (!file)
        return nullptr;
    X509Ptr cert(PEM_read_X509(file.get(), nullptr, nullptr, nullptr));
    ERR_clear_error();
    return cert;
}

// Whether an existing server certificate can be used again for `hostnames`.
bool reusable(const TestCertificates& files, const std::vector<std::string>& hostnames) {
    for (const auto& path : {files.ca_cert, files.ca_key, files.server_cert, files.server_key}) {
        if (!fs::exists(path))
            return false;
    }
    const auto cert = read_cert(files.server_cert);
    if (!cert)
        return false;
    bool covers = true;
    for (const auto& hostname : hostnames) {
        covers = covers &&
                 X509_check_host(cert.get(), hostname.c_str(), hostname.size(), 0, nullptr) == 1;
    }
    covers = covers && X509_check_host(cert.get(), "localhost", 0, 0, nullptr) == 1 &&
             X509_check_ip_asc(cert.get(), "127.0.0.1", 0) == 1;
    // Still valid a day from now: a run does not start with a certificate about to expire.
    time_t tomorrow = std::time(nullptr) + kDay;
    const bool fresh = X509_cmp_time(X509_get0_notAfter(cert.get()), &tomorrow) > 0;
    ERR_clear_error();
    return covers && fresh;
}

}  // namespace

TestCertificates ensure_test_certificates(const fs::path& dir, const std::string& hostname) {
    return ensure_test_certificates(dir, std::vector<std::string>{hostname});
}

TestCertificates ensure_test_certificates(const fs::path& dir,
                                          const std::vector<std::string>& hostnames) {
    TestCertificates files{dir / "ca.pem", dir / "ca.key", dir / "server.pem", dir / "server.key"};
    const std::string& hostname = hostnames.at(0);
    std::string names = "DNS:localhost,IP:127.0.0.1,IP:::1";
    for (const auto& name : hostnames)
        names += ",DNS:" + name;
    if (reusable(files, hostnames)) {
        return files;
    }
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec)
        throw CertificateError("certificate generation: cannot create " + dir.string());

    const auto ca_key = new_key();
    const auto ca =
        new_certificate(ca_key.get(), "hubsim test CA", nullptr, ca_key.get(), kCaLifetime,
                        {{NID_basic_constraints, "critical,CA:TRUE"},
                         {NID_key_usage, "critical,keyCertSign,cRLSign"},
                         {NID_subject_key_identifier, "hash"}});
    const auto server_key = new_key();
    const auto server =
        new_certificate(server_key.get(), hostname, ca.get(), ca_key.get(), kServerLifetime,
                        {{NID_basic_constraints, "critical,CA:FALSE"},
                         {NID_key_usage, "critical,digitalSignature,keyEncipherment"},
                         {NID_ext_key_usage, "serverAuth"},
                         {NID_subject_key_identifier, "hash"},
                         {NID_authority_key_identifier, "keyid"},
                         {NID_subject_alt_name, names}});

    write_key(files.ca_key, ca_key.get());
    write_cert(files.ca_cert, ca.get());
    write_key(files.server_key, server_key.get());
    write_cert(files.server_cert, server.get());
    return files;
}

}  // namespace hubsim::cli
