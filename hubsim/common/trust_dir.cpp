#include "hubsim/common/trust_dir.hpp"

#include "hubsim/common/client_certificate.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>

namespace hubsim {

namespace fs = std::filesystem;

namespace {

std::string read_text(const fs::path& path) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// hash.0, hash.1, ...: the first free name, or the one that already holds `text`.
void add_one(const fs::path& dir, X509* certificate) {
    char hash[16];
    std::snprintf(hash, sizeof hash, "%08lx", X509_subject_name_hash(certificate));
    const std::string text = certificate_pem(certificate);
    if (text.empty())
        throw std::runtime_error("cannot encode a certificate");
    for (int n = 0;; ++n) {
        const auto path = dir / (std::string(hash) + "." + std::to_string(n));
        if (fs::exists(path)) {
            if (read_text(path) == text)
                return;
            continue;
        }
        // Written aside and renamed: a handshake never reads half a file.
        const auto temporary = dir / (std::string(hash) + ".tmp");
        {
            std::ofstream out(temporary, std::ios::trunc);
            out << text;
            if (!out)
                throw std::runtime_error("cannot write " + temporary.string());
        }
        fs::rename(temporary, path);
        return;
    }
}

}  // namespace

int add_to_trust_dir(const fs::path& dir, const std::string& pem) {
    fs::create_directories(dir);
    std::unique_ptr<BIO, decltype(&BIO_free)> in(
        BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
    int count = 0;
    while (X509* certificate = PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr)) {
        try {
            add_one(dir, certificate);
        } catch (...) {
            X509_free(certificate);
            throw;
        }
        X509_free(certificate);
        ++count;
    }
    ERR_clear_error();  // the end of the text reads as an error
    return count;
}

}  // namespace hubsim
