#include "gateway/transport/upstream_tls.hpp"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <array>

namespace hubgate::transport {

namespace {

// The last OpenSSL error as text (file names and reasons; never key material).
std::string openssl_error(const std::string& what) {
    std::array<char, 256> text{};
    const unsigned long code = ERR_get_error();
    ERR_clear_error();
    if (code == 0) {
        return what;
    }
    ERR_error_string_n(code, text.data(), text.size());
    return what + ": " + text.data();
}

// Modification time and size of `path` as text, so that a replaced file gets a new context.
std::string file_stamp(const std::string& path) {
    if (path.empty()) {
        return "-";
    }
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) {
        return "missing";
    }
    return std::to_string(info.st_mtim.tv_sec) + "." + std::to_string(info.st_mtim.tv_nsec) + "/" +
           std::to_string(info.st_size);
}

bool is_ip_address(const char* host) {
    unsigned char buffer[sizeof(in6_addr)];
    return ::inet_pton(AF_INET, host, buffer) == 1 || ::inet_pton(AF_INET6, host, buffer) == 1;
}

// After OpenSSL's own chain verification: the leaf certificate must name the host this
// connection asked for. libmosquitto sends that host as SNI, so it is read back from there.
int verify_server_name(int preverified, X509_STORE_CTX* store) {
    if (preverified != 1 || X509_STORE_CTX_get_error_depth(store) != 0) {
        return preverified;
    }
    auto* ssl =
        static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
    X509* leaf = X509_STORE_CTX_get_current_cert(store);
    const char* host =
        ssl != nullptr ? SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name) : nullptr;
    if (host == nullptr || leaf == nullptr) {
        X509_STORE_CTX_set_error(store, X509_V_ERR_HOSTNAME_MISMATCH);
        return 0;
    }
    const bool matches = is_ip_address(host) ? X509_check_ip_asc(leaf, host, 0) == 1
                                             : X509_check_host(leaf, host, 0, 0, nullptr) == 1;
    if (!matches) {
        X509_STORE_CTX_set_error(store, is_ip_address(host) ? X509_V_ERR_IP_ADDRESS_MISMATCH
                                                            : X509_V_ERR_HOSTNAME_MISMATCH);
        return 0;
    }
    return 1;
}

SSL_CTX* make_context(const TlsSettings& settings, std::string& error) {
    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == nullptr) {
        error = openssl_error("cannot create a TLS context");
        return nullptr;
    }
    auto fail = [&](const std::string& what) -> SSL_CTX* {
        error = openssl_error(what);
        SSL_CTX_free(ctx);
        return nullptr;
    };
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION);
    // Idle sessions are the common case: give read/write buffers back between records. A busy
    // session clears this on its own SSL object for a while (tls_buffer_keeper.hpp).
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    // One read() takes every record waiting (PUBACKs come in bursts), not two per record;
    // the link drains what is buffered (MosquittoLink::read).
    SSL_CTX_set_read_ahead(ctx, 1);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, verify_server_name);
    const bool trusted =
        settings.ca_file.empty()
            ? SSL_CTX_set_default_verify_paths(ctx) == 1
            : SSL_CTX_load_verify_locations(ctx, settings.ca_file.c_str(), nullptr) == 1;
    if (!trusted) {
        return fail("cannot load the hub's CA file '" + settings.ca_file + "'");
    }
    if (!settings.cert_file.empty()) {
        if (SSL_CTX_use_certificate_chain_file(ctx, settings.cert_file.c_str()) != 1) {
            return fail("cannot load the device certificate '" + settings.cert_file + "'");
        }
        if (SSL_CTX_use_PrivateKey_file(ctx, settings.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
            return fail("cannot load the device key '" + settings.key_file + "'");
        }
        if (SSL_CTX_check_private_key(ctx) != 1) {
            return fail("the device key '" + settings.key_file + "' does not match '" +
                        settings.cert_file + "'");
        }
    }
    return ctx;
}

}  // namespace

struct TlsContextCache::Entry {
    std::string stamp;
    SSL_CTX* ctx = nullptr;
    ~Entry() { SSL_CTX_free(ctx); }
};

TlsContextCache::TlsContextCache() = default;
TlsContextCache::~TlsContextCache() = default;

ssl_ctx_st* TlsContextCache::get(const TlsSettings& settings, std::string& error) {
    const std::string key = settings.ca_file + '\n' + settings.cert_file + '\n' + settings.key_file;
    const std::string stamp = file_stamp(settings.ca_file) + ' ' + file_stamp(settings.cert_file) +
                              ' ' + file_stamp(settings.key_file);
    auto& entry = entries_[key];
    if (entry && entry->stamp == stamp) {
        return entry->ctx;
    }
    SSL_CTX* ctx = make_context(settings, error);
    if (ctx == nullptr) {
        entry.reset();
        entries_.erase(key);
        return nullptr;
    }
    entry = std::make_unique<Entry>();
    entry->stamp = stamp;
    entry->ctx = ctx;
    return ctx;
}

}  // namespace hubgate::transport
