// LeafIssuer: a device's leaf certificate from the group CA hubgate holds (dps-x509): issued
// once with CN = registration id and a P-256 key, kept 0600, reused, renewed before its end or
// when another CA signed it; keys never in an error text.
#include <doctest/doctest.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <sys/stat.h>

#include <cstdio>

#include "gateway/provisioning/leaf_certificates.hpp"
#include "harness/scratch_dir.hpp"
#include "harness/test_pki.hpp"

using namespace hubgate::provisioning;
using hubgate::test::read_file;
using hubgate::test::ScratchDir;
using hubgate::test::TestPki;
using namespace std::chrono_literals;

namespace {

// A group CA (made with the openssl CLI) and a state folder.
struct Fixture {
    ScratchDir dir{"leaf-issuer"};
    TestPki pki{dir.path() / "pki"};
    Fixture() {
        pki.make_ca("group-ca", "group CA");
        pki.make_ca("other-ca", "other CA");
    }
    LeafSettings settings(const std::string& ca = "group-ca", std::chrono::seconds lifetime = 48h,
                          std::chrono::seconds renew_before = 1h) const {
        return LeafSettings{pki.cert(ca), read_file(pki.key(ca)), dir.path() / "certificates",
                            lifetime, renew_before};
    }
};

unsigned mode_of(const std::string& path) {
    struct stat st {};
    ::stat(path.c_str(), &st);
    return st.st_mode & 0777;
}

// The leaf in `cert_file` (its first certificate).
X509* read_leaf(const std::string& cert_file) {
    FILE* in = std::fopen(cert_file.c_str(), "r");
    REQUIRE(in);
    X509* leaf = PEM_read_X509(in, nullptr, nullptr, nullptr);
    std::fclose(in);
    REQUIRE(leaf);
    return leaf;
}

std::string common_name(X509* leaf) {
    char name[256] = "";
    X509_NAME_get_text_by_NID(X509_get_subject_name(leaf), NID_commonName, name, sizeof name);
    return name;
}

// Whether `leaf` verifies against the CA file alone.
bool verifies(X509* leaf, const std::string& ca_file) {
    X509_STORE* store = X509_STORE_new();
    X509_STORE_load_file(store, ca_file.c_str());
    X509_STORE_CTX* context = X509_STORE_CTX_new();
    X509_STORE_CTX_init(context, store, leaf, nullptr);
    const bool ok = X509_verify_cert(context) == 1;
    X509_STORE_CTX_free(context);
    X509_STORE_free(store);
    ERR_clear_error();
    return ok;
}

}  // namespace

TEST_CASE("a leaf is issued once: CN = registration id, P-256, signed by the group CA, 0600") {
    Fixture f;
    LeafIssuer issuer(f.settings());
    std::string error;
    const auto files = issuer.ensure("cam-1", error);
    REQUIRE(files);
    CHECK(mode_of(files->cert_file) == 0600);
    CHECK(mode_of(files->key_file) == 0600);
    X509* leaf = read_leaf(files->cert_file);
    CHECK(common_name(leaf) == "cam-1");
    CHECK(verifies(leaf, f.pki.cert("group-ca").string()));
    EVP_PKEY* key = X509_get0_pubkey(leaf);
    CHECK(EVP_PKEY_is_a(key, "EC"));
    char group[64] = "";
    EVP_PKEY_get_utf8_string_param(key, "group", group, sizeof group, nullptr);
    CHECK(std::string(group) == "prime256v1");
    X509_free(leaf);
    // The file holds the CA after the leaf: the chain the TLS handshake sends.
    CHECK(read_file(files->cert_file).find(read_file(f.pki.cert("group-ca"))) != std::string::npos);

    // Reused, also by another issuer (a restart).
    const auto first = read_file(files->cert_file);
    REQUIRE(issuer.ensure("cam-1", error));
    LeafIssuer restarted(f.settings());
    REQUIRE(restarted.ensure("cam-1", error));
    CHECK(read_file(files->cert_file) == first);
    CHECK(issuer.issued() == 1);
    CHECK(restarted.issued() == 0);
}

TEST_CASE("a leaf is renewed within renew_before of its end, or when another CA signed it") {
    Fixture f;
    std::string error;
    const auto files = LeafIssuer(f.settings("group-ca", 2h, 1h)).ensure("cam-2", error);
    REQUIRE(files);
    const auto first = read_file(files->cert_file);
    // Two hours left: with a renewal margin of three, it is due.
    LeafIssuer due(f.settings("group-ca", 48h, 3h));
    REQUIRE(due.ensure("cam-2", error));
    CHECK(due.issued() == 1);
    const auto renewed = read_file(files->cert_file);
    CHECK(renewed != first);
    // The group's CA changed: the old leaf does not chain to it.
    LeafIssuer other(f.settings("other-ca"));
    REQUIRE(other.ensure("cam-2", error));
    CHECK(other.issued() == 1);
    X509* leaf = read_leaf(files->cert_file);
    CHECK(verifies(leaf, f.pki.cert("other-ca").string()));
    X509_free(leaf);
    // A damaged key file is replaced too.
    std::FILE* key = std::fopen(files->key_file.c_str(), "w");
    std::fputs("garbage", key);
    std::fclose(key);
    REQUIRE(other.ensure("cam-2", error));
    CHECK(other.issued() == 2);
}

TEST_CASE("bad input: a registration id that is not one, a CA key of another CA") {
    Fixture f;
    LeafIssuer issuer(f.settings());
    std::string error;
    CHECK_FALSE(issuer.ensure("../escape", error));
    CHECK(error == "not a valid registration id");
    auto mismatched = f.settings();
    mismatched.ca_key_pem = read_file(f.pki.key("other-ca"));
    try {
        LeafIssuer wrong(mismatched);
        FAIL("expected a LeafError");
    } catch (const LeafError& e) {
        CHECK(std::string(e.what()).find("does not belong") != std::string::npos);
        CHECK(std::string(e.what()).find("PRIVATE KEY") == std::string::npos);
    }
}
