#include "harness/test_pki.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <vector>

#include "harness/process.hpp"

namespace hubgate::test {

namespace {

namespace fs = std::filesystem;

// Installed by scripts/install-deps.sh; Process needs a full path.
const std::string kOpenssl = "/usr/bin/openssl";

std::string openssl(std::vector<std::string> args) {
    args.insert(args.begin(), kOpenssl);
    const auto result = run(args);
    if (result.status != 0)
        throw std::runtime_error("openssl failed: " + result.output);
    return result.output;
}

void make_private(const fs::path& key) {
    ::chmod(key.c_str(), 0600);
}

}  // namespace

TestPki::TestPki(fs::path dir) : dir_(std::move(dir)) {
    fs::create_directories(dir_);
}

void TestPki::make_ca(const std::string& name, const std::string& common_name) {
    openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", key(name).string(), "-out", cert(name).string(), "-subj",
             "/CN=" + common_name, "-days", "2"});
    make_private(key(name));
}

void TestPki::issue(const std::string& name, const std::string& ca,
                    const std::string& common_name) {
    issue_with(name, cert(ca), key(ca), common_name);
}

void TestPki::issue_with(const std::string& name, const fs::path& ca_cert, const fs::path& ca_key,
                         const std::string& common_name) {
    const auto csr = dir_ / (name + ".csr");
    openssl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", key(name).string(), "-out", csr.string(), "-subj", "/CN=" + common_name});
    make_private(key(name));
    openssl({"x509", "-req", "-in", csr.string(), "-CA", ca_cert.string(), "-CAkey",
             ca_key.string(), "-out", cert(name).string(), "-days", "1"});
}

void TestPki::self_signed(const std::string& name, const std::string& common_name) {
    openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", key(name).string(), "-out", cert(name).string(), "-subj",
             "/CN=" + common_name, "-days", "1", "-addext", "basicConstraints=critical,CA:FALSE"});
    make_private(key(name));
}

std::string TestPki::thumbprint(const std::string& name) const {
    // "sha256 Fingerprint=AB:CD:..." (the prefix's case differs between versions)
    const auto line =
        openssl({"x509", "-in", cert(name).string(), "-noout", "-fingerprint", "-sha256"});
    std::string hex;
    for (char c : line.substr(line.find('=') + 1)) {
        if (std::isxdigit(static_cast<unsigned char>(c)))
            hex.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
    return hex;
}

}  // namespace hubgate::test
