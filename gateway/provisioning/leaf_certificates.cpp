#include "gateway/provisioning/leaf_certificates.hpp"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ctime>
#include <fstream>
#include <memory>
#include <sstream>

#include "hubgate/iothub/dps_credentials.hpp"

namespace hubgate::provisioning {

namespace fs = std::filesystem;

namespace {

struct Free {
    void operator()(X509* p) const { X509_free(p); }
    void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
    void operator()(BIO* p) const { BIO_free(p); }
    void operator()(BIGNUM* p) const { BN_free(p); }
    void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
};
using X509Ptr = std::unique_ptr<X509, Free>;
using KeyPtr = std::unique_ptr<EVP_PKEY, Free>;
using BioPtr = std::unique_ptr<BIO, Free>;

// Backdated so that a hub whose clock is a little behind accepts a fresh leaf.
constexpr long kBackdateSeconds = 300;

[[noreturn]] void fail(const std::string& what) {
    ERR_clear_error();  // OpenSSL's detail may quote key material: not passed on
    throw LeafError(what);
}

std::string read_text(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return in ? text.str() : std::string();
}

// Reads `text` in place: it must outlive the BIO.
BioPtr memory(const std::string& text) {
    return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

std::string to_pem(X509* certificate) {
    BioPtr out(BIO_new(BIO_s_mem()));
    if (!out || PEM_write_bio_X509(out.get(), certificate) != 1)
        fail("cannot encode a certificate");
    char* data = nullptr;
    const long size = BIO_get_mem_data(out.get(), &data);
    return std::string(data, static_cast<size_t>(size));
}

std::string key_pem(EVP_PKEY* key) {
    BioPtr out(BIO_new(BIO_s_mem()));
    if (!out ||
        PEM_write_bio_PrivateKey(out.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
        fail("cannot encode a private key");
    }
    char* data = nullptr;
    const long size = BIO_get_mem_data(out.get(), &data);
    return std::string(data, static_cast<size_t>(size));
}

std::string common_name(X509* certificate) {
    const X509_NAME* subject = X509_get_subject_name(certificate);
    const int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
    if (index < 0)
        return {};
    unsigned char* utf8 = nullptr;
    const int length =
        ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index)));
    if (length < 0)
        return {};
    std::string out(reinterpret_cast<char*>(utf8), static_cast<size_t>(length));
    OPENSSL_free(utf8);
    return out;
}

// Written to a temporary file created 0600, flushed, then renamed over `path`: a crash leaves
// the old file or the new one, and a key is never readable by others, even briefly.
void write_private(const fs::path& path, const std::string& text) {
    const auto temporary = fs::path(path.string() + ".tmp");
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        fail("cannot write " + temporary.string());
    ::fchmod(fd, 0600);  // an older file of that name may have had other bits
    size_t written = 0;
    while (written < text.size()) {
        const auto n = ::write(fd, text.data() + written, text.size() - written);
        if (n <= 0) {
            ::close(fd);
            fail("cannot write " + temporary.string());
        }
        written += static_cast<size_t>(n);
    }
    const bool synced = ::fsync(fd) == 0;
    ::close(fd);
    if (!synced)
        fail("cannot write " + temporary.string());
    std::error_code ec;
    fs::rename(temporary, path, ec);
    if (ec)
        fail("cannot write " + path.string());
}

void add_extension(X509* certificate, X509* issuer, int nid, const char* value) {
    X509V3_CTX context;
    X509V3_set_ctx_nodb(&context);
    X509V3_set_ctx(&context, issuer, certificate, nullptr, nullptr, 0);
    std::unique_ptr<X509_EXTENSION, Free> extension(
        X509V3_EXT_conf_nid(nullptr, &context, nid, value));
    if (!extension || X509_add_ext(certificate, extension.get(), -1) != 1)
        fail(std::string("cannot add the extension ") + value);
}

}  // namespace

// The CA as loaded: its certificate, the rest of its chain (PEM, appended to every leaf so that
// the hub and DPS can build the path to their trusted root) and its key.
struct LeafIssuer::Ca {
    X509Ptr certificate;
    std::string chain_pem;
    KeyPtr key;
};

LeafIssuer::LeafIssuer(LeafSettings settings)
    : settings_(std::move(settings)), ca_(std::make_unique<Ca>()) {
    ca_->chain_pem = read_text(settings_.ca_cert_file);
    auto in = memory(ca_->chain_pem);
    ca_->certificate.reset(PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr));
    if (!ca_->certificate)
        fail(settings_.ca_cert_file.string() + ": no PEM certificate");
    auto key_in = memory(settings_.ca_key_pem);
    ca_->key.reset(PEM_read_bio_PrivateKey(key_in.get(), nullptr, nullptr, nullptr));
    if (!ca_->key)
        fail("the CA key file holds no PEM private key (or an encrypted one)");
    if (X509_check_private_key(ca_->certificate.get(), ca_->key.get()) != 1)
        fail("the CA key does not belong to " + settings_.ca_cert_file.string());
    if (X509_check_ca(ca_->certificate.get()) == 0)
        fail(settings_.ca_cert_file.string() + ": not a CA certificate");
    ERR_clear_error();
}

LeafIssuer::~LeafIssuer() = default;

unsigned LeafIssuer::issued() const {
    std::lock_guard lock(mutex_);
    return issued_;
}

std::optional<ClientCertificateFiles> LeafIssuer::ensure(const std::string& registration_id,
                                                         std::string& error) {
    // The id names files: only DPS's alphabet, never a path.
    if (!iothub::valid_registration_id(registration_id)) {
        error = "not a valid registration id";
        return std::nullopt;
    }
    const ClientCertificateFiles files{(settings_.dir / (registration_id + ".pem")).string(),
                                       (settings_.dir / (registration_id + ".key")).string()};
    std::lock_guard lock(mutex_);
    try {
        if (!reusable(files, registration_id))
            issue(files, registration_id);
    } catch (const LeafError& e) {
        error = e.what();
        return std::nullopt;
    }
    return files;
}

bool LeafIssuer::reusable(const ClientCertificateFiles& files,
                          const std::string& registration_id) const {
    // The texts outlive the BIOs that read them (a memory BIO does not copy).
    const std::string leaf_text = read_text(files.cert_file);
    const std::string key_text = read_text(files.key_file);
    auto in = memory(leaf_text);
    X509Ptr leaf(PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr));
    auto key_in = memory(key_text);
    KeyPtr key(PEM_read_bio_PrivateKey(key_in.get(), nullptr, nullptr, nullptr));
    bool ok = leaf && key && X509_check_private_key(leaf.get(), key.get()) == 1 &&
              X509_check_issued(ca_->certificate.get(), leaf.get()) == X509_V_OK &&
              common_name(leaf.get()) == registration_id;
    if (ok) {
        EVP_PKEY* ca_public = X509_get0_pubkey(ca_->certificate.get());
        ok = ca_public != nullptr && X509_verify(leaf.get(), ca_public) == 1;
    }
    if (ok) {
        // Renewed once the end is within renew_before.
        time_t renew_at = std::time(nullptr) + settings_.renew_before.count();
        ok = X509_cmp_time(X509_get0_notAfter(leaf.get()), &renew_at) > 0;
    }
    ERR_clear_error();
    return ok;
}

void LeafIssuer::issue(const ClientCertificateFiles& files, const std::string& registration_id) {
    std::error_code ec;
    fs::create_directories(settings_.dir, ec);
    fs::permissions(settings_.dir, fs::perms::owner_all, fs::perm_options::replace, ec);
    if (ec)
        fail("cannot create " + settings_.dir.string());

    KeyPtr key(EVP_EC_gen("P-256"));
    if (!key)
        fail("cannot generate a P-256 key");
    X509Ptr leaf(X509_new());
    if (!leaf)
        fail("X509_new");
    X509_set_version(leaf.get(), 2);  // v3
    unsigned char serial_bytes[16];
    if (RAND_bytes(serial_bytes, sizeof serial_bytes) != 1)
        fail("no random serial number");
    serial_bytes[0] &= 0x7f;  // positive
    std::unique_ptr<BIGNUM, Free> serial(BN_bin2bn(serial_bytes, sizeof serial_bytes, nullptr));
    if (!serial || !BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(leaf.get())))
        fail("cannot set the serial number");
    X509_gmtime_adj(X509_getm_notBefore(leaf.get()), -kBackdateSeconds);
    X509_gmtime_adj(X509_getm_notAfter(leaf.get()), settings_.lifetime.count());
    X509_set_pubkey(leaf.get(), key.get());
    X509_NAME* subject = X509_get_subject_name(leaf.get());
    X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(registration_id.c_str()), -1,
                               -1, 0);
    X509_set_issuer_name(leaf.get(), X509_get_subject_name(ca_->certificate.get()));
    add_extension(leaf.get(), ca_->certificate.get(), NID_basic_constraints, "critical,CA:FALSE");
    add_extension(leaf.get(), ca_->certificate.get(), NID_key_usage, "critical,digitalSignature");
    add_extension(leaf.get(), ca_->certificate.get(), NID_ext_key_usage, "clientAuth");
    add_extension(leaf.get(), ca_->certificate.get(), NID_subject_key_identifier, "hash");
    add_extension(leaf.get(), ca_->certificate.get(), NID_authority_key_identifier, "keyid");
    if (X509_sign(leaf.get(), ca_->key.get(), EVP_sha256()) == 0)
        fail("cannot sign the leaf certificate of " + registration_id);

    // The key first: a leaf never names a key that is not there.
    write_private(files.key_file, key_pem(key.get()));
    write_private(files.cert_file, to_pem(leaf.get()) + ca_->chain_pem);
    ++issued_;
}

}  // namespace hubgate::provisioning
