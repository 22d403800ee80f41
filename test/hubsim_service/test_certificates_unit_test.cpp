// The generated test PKI: SANs, chain, key pairing, key file permissions, reuse and renewal.
#include <doctest/doctest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <random>

#include "harness/scratch_dir.hpp"
#include "hubsim/cli/test_certificates.hpp"

namespace {

namespace fs = std::filesystem;
using hubsim::cli::ensure_test_certificates;

struct Scratch {
    hubgate::test::ScratchDir dir{"hubsim-cert-test"};
    const fs::path& path = dir.path();
};

struct X509Free {
    void operator()(X509* x) const { X509_free(x); }
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
    void operator()(X509_STORE* s) const { X509_STORE_free(s); }
    void operator()(X509_STORE_CTX* c) const { X509_STORE_CTX_free(c); }
};

std::unique_ptr<X509, X509Free> load_cert(const fs::path& path) {
    FILE* f = std::fopen(path.c_str(), "r");
    REQUIRE(f != nullptr);
    std::unique_ptr<X509, X509Free> cert(PEM_read_X509(f, nullptr, nullptr, nullptr));
    std::fclose(f);
    REQUIRE(cert);
    return cert;
}

std::unique_ptr<EVP_PKEY, X509Free> load_key(const fs::path& path) {
    FILE* f = std::fopen(path.c_str(), "r");
    REQUIRE(f != nullptr);
    std::unique_ptr<EVP_PKEY, X509Free> key(PEM_read_PrivateKey(f, nullptr, nullptr, nullptr));
    std::fclose(f);
    REQUIRE(key);
    return key;
}

bool verifies(X509* leaf, X509* ca) {
    std::unique_ptr<X509_STORE, X509Free> store(X509_STORE_new());
    X509_STORE_add_cert(store.get(), ca);
    std::unique_ptr<X509_STORE_CTX, X509Free> ctx(X509_STORE_CTX_new());
    X509_STORE_CTX_init(ctx.get(), store.get(), leaf, nullptr);
    X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_SERVER);
    return X509_verify_cert(ctx.get()) == 1;
}

std::string fingerprint(X509* cert) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    X509_digest(cert, EVP_sha256(), md, &len);
    return std::string(reinterpret_cast<char*>(md), len);
}

TEST_CASE("the server certificate covers localhost, 127.0.0.1, ::1 and the hub name") {
    Scratch dir;
    const auto files = ensure_test_certificates(dir.path, "myhub.azure-devices.net");
    const auto server = load_cert(files.server_cert);
    CHECK(X509_check_host(server.get(), "localhost", 0, 0, nullptr) == 1);
    CHECK(X509_check_host(server.get(), "myhub.azure-devices.net", 0, 0, nullptr) == 1);
    CHECK(X509_check_ip_asc(server.get(), "127.0.0.1", 0) == 1);
    CHECK(X509_check_ip_asc(server.get(), "::1", 0) == 1);
    // ... and nothing else.
    CHECK(X509_check_host(server.get(), "otherhub.azure-devices.net", 0, 0, nullptr) != 1);
    CHECK(X509_check_ip_asc(server.get(), "10.0.0.1", 0) != 1);
}

TEST_CASE("the server certificate chains to the CA, which is a CA, and matches its key") {
    Scratch dir;
    const auto files = ensure_test_certificates(dir.path, "hub.example");
    const auto ca = load_cert(files.ca_cert);
    const auto server = load_cert(files.server_cert);
    CHECK(X509_check_ca(ca.get()) >= 1);
    CHECK(X509_check_ca(server.get()) == 0);
    CHECK(verifies(server.get(), ca.get()));
    CHECK(X509_check_private_key(server.get(), load_key(files.server_key).get()) == 1);
    CHECK(X509_check_private_key(ca.get(), load_key(files.ca_key).get()) == 1);
    // Not a self-signed server certificate: another CA does not verify it.
    Scratch other;
    const auto other_ca = load_cert(ensure_test_certificates(other.path, "hub.example").ca_cert);
    CHECK_FALSE(verifies(server.get(), other_ca.get()));
}

TEST_CASE("private keys are readable by their owner only") {
    Scratch dir;
    const auto files = ensure_test_certificates(dir.path, "hub.example");
    for (const auto& key : {files.ca_key, files.server_key}) {
        const auto perms = fs::status(key).permissions();
        CHECK((perms & (fs::perms::group_all | fs::perms::others_all)) == fs::perms::none);
    }
}

TEST_CASE("existing certificates are reused for the same hub name, renewed for another") {
    Scratch dir;
    const auto first =
        fingerprint(load_cert(ensure_test_certificates(dir.path, "a.example").server_cert).get());
    const auto again =
        fingerprint(load_cert(ensure_test_certificates(dir.path, "a.example").server_cert).get());
    CHECK(first == again);
    const auto files = ensure_test_certificates(dir.path, "b.example");
    const auto renamed = load_cert(files.server_cert);
    CHECK(fingerprint(renamed.get()) != first);
    CHECK(X509_check_host(renamed.get(), "b.example", 0, 0, nullptr) == 1);
}

TEST_CASE("a damaged certificate file is replaced") {
    Scratch dir;
    const auto files = ensure_test_certificates(dir.path, "a.example");
    {
        FILE* f = std::fopen(files.server_cert.c_str(), "w");
        std::fputs("not a certificate", f);
        std::fclose(f);
    }
    ensure_test_certificates(dir.path, "a.example");
    CHECK(X509_check_host(load_cert(files.server_cert).get(), "a.example", 0, 0, nullptr) == 1);
}

}  // namespace
