#include "hubsim/common/client_certificate.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "hubgate/iothub/encoding.hpp"

namespace hubsim {

namespace {

struct FileCloser {
    void operator()(FILE* file) const { std::fclose(file); }
};
using File = std::unique_ptr<FILE, FileCloser>;

std::string hex_digest(X509* certificate, const EVP_MD* digest) {
    unsigned char bytes[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (X509_digest(certificate, digest, bytes, &length) != 1)
        return {};
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < length; ++i) {
        out.push_back(kHex[bytes[i] >> 4]);
        out.push_back(kHex[bytes[i] & 0x0F]);
    }
    return out;
}

std::string common_name(X509* certificate) {
    const X509_NAME* subject = X509_get_subject_name(certificate);
    const int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
    if (index < 0)
        return {};
    const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index));
    unsigned char* utf8 = nullptr;
    const int length = ASN1_STRING_to_UTF8(&utf8, data);
    if (length < 0)
        return {};
    std::string out(reinterpret_cast<char*>(utf8), static_cast<size_t>(length));
    OPENSSL_free(utf8);
    return out;
}

File open_pem(const std::string& path) {
    File file(std::fopen(path.c_str(), "r"));
    if (!file)
        throw CertificateFileError(path + ": cannot be read");
    return file;
}

using Bio = std::unique_ptr<BIO, decltype(&BIO_free)>;

Bio memory_bio(const std::string& text) {
    return Bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())), &BIO_free);
}

std::string name_text(const X509_NAME* name) {
    Bio out(BIO_new(BIO_s_mem()), &BIO_free);
    if (!out || X509_NAME_print_ex(out.get(), name, 0, XN_FLAG_RFC2253) < 0)
        return {};
    char* data = nullptr;
    const long size = BIO_get_mem_data(out.get(), &data);
    return std::string(data, static_cast<size_t>(size));
}

std::string upper(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return text;
}

}  // namespace

RegisteredCas::RegisteredCas(const std::vector<std::string>& pem_files) {
    // Owned here until every file is read: a file that cannot be opened throws, and a throwing
    // constructor runs no destructor.
    std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)> store(X509_STORE_new(),
                                                                  &X509_STORE_free);
    if (!store)
        throw std::bad_alloc();
    // The device's certificate is all the plugin sees: a registered intermediate is an anchor.
    X509_STORE_set_flags(store.get(), X509_V_FLAG_PARTIAL_CHAIN);
    for (const auto& path : pem_files) {
        auto file = open_pem(path);
        int count = 0;
        while (X509* certificate = PEM_read_X509(file.get(), nullptr, nullptr, nullptr)) {
            X509_STORE_add_cert(store.get(), certificate);  // takes its own reference
            X509_free(certificate);
            ++count;
        }
        ERR_clear_error();  // the end of the file reads as an error
        if (count == 0)
            throw CertificateFileError(path + ": holds no PEM certificate");
    }
    store_ = store.release();
}

std::unique_ptr<RegisteredCas> RegisteredCas::from_pem(const std::string& pem) {
    auto cas = std::make_unique<RegisteredCas>(std::vector<std::string>{});
    if (cas->add_pem(pem) == 0)
        throw CertificateFileError("no PEM certificate");
    return cas;
}

int RegisteredCas::add_pem(const std::string& pem) {
    auto in = memory_bio(pem);
    int count = 0;
    while (X509* certificate = PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr)) {
        X509_STORE_add_cert(store_, certificate);
        X509_free(certificate);
        ++count;
    }
    ERR_clear_error();
    return count;
}

RegisteredCas::~RegisteredCas() {
    X509_STORE_free(store_);
}

bool RegisteredCas::issued(X509* certificate) const {
    X509_STORE_CTX* context = X509_STORE_CTX_new();
    if (context == nullptr)
        return false;
    bool verified = false;
    if (X509_STORE_CTX_init(context, store_, certificate, nullptr) == 1) {
        verified = X509_verify_cert(context) == 1;
        // A self-signed certificate that is itself an anchor verifies trivially: that is a
        // registered CA's own certificate, never a device's.
        if (verified && X509_check_issued(certificate, certificate) == X509_V_OK)
            verified = false;
    }
    X509_STORE_CTX_free(context);
    ERR_clear_error();
    return verified;
}

bool RegisteredCas::issued_pem(const std::string& pem) const {
    auto in = memory_bio(pem);
    X509* certificate = PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr);
    ERR_clear_error();
    if (certificate == nullptr)
        return false;
    const bool verified = issued(certificate);
    X509_free(certificate);
    return verified;
}

ClientCertificate describe_client_certificate(X509* certificate, const RegisteredCas& cas) {
    return ClientCertificate{hex_digest(certificate, EVP_sha1()),
                             hex_digest(certificate, EVP_sha256()), common_name(certificate),
                             cas.issued(certificate)};
}

std::string certificate_pem(X509* certificate) {
    Bio out(BIO_new(BIO_s_mem()), &BIO_free);
    if (!out || PEM_write_bio_X509(out.get(), certificate) != 1)
        return {};
    char* data = nullptr;
    const long size = BIO_get_mem_data(out.get(), &data);
    return std::string(data, static_cast<size_t>(size));
}

std::optional<CertificateInfo> read_signing_certificate(const std::string& text,
                                                        std::string& pem_out) {
    std::string candidate = text;
    if (text.find("-----BEGIN") == std::string::npos) {
        auto decoded = hubgate::iothub::base64_decode(text);
        if (!decoded)
            return std::nullopt;
        candidate = std::move(*decoded);
    }
    X509* certificate = nullptr;
    if (candidate.find("-----BEGIN") != std::string::npos) {
        auto in = memory_bio(candidate);
        certificate = PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr);
    } else {
        const auto* bytes = reinterpret_cast<const unsigned char*>(candidate.data());
        certificate = d2i_X509(nullptr, &bytes, static_cast<long>(candidate.size()));
    }
    ERR_clear_error();
    if (certificate == nullptr)
        return std::nullopt;
    pem_out = certificate_pem(certificate);
    CertificateInfo info{
        name_text(X509_get_subject_name(certificate)), name_text(X509_get_issuer_name(certificate)),
        upper(hex_digest(certificate, EVP_sha1())), upper(hex_digest(certificate, EVP_sha256()))};
    X509_free(certificate);
    return info;
}

std::string certificate_file_thumbprint(const std::string& pem_file) {
    auto file = open_pem(pem_file);
    X509* certificate = PEM_read_X509(file.get(), nullptr, nullptr, nullptr);
    ERR_clear_error();
    if (certificate == nullptr)
        throw CertificateFileError(pem_file + ": holds no PEM certificate");
    std::string thumbprint = hex_digest(certificate, EVP_sha256());
    X509_free(certificate);
    return thumbprint;
}

}  // namespace hubsim
