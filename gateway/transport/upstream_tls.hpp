#pragma once
// TLS client contexts for libmosquitto upstream connections, shared by every connection with
// the same trust anchors and client certificate. A context per connection (libmosquitto's
// default) would parse the CA file at every connect and hold a certificate store per session.

#include <map>
#include <memory>
#include <string>

#include "gateway/transport/upstream.hpp"

struct ssl_ctx_st;

namespace hubgate::transport {

// Owns one context per distinct TlsSettings. The hub's certificate chain is verified against
// `ca_file` (the system's trust store when empty) and its name against the host the
// connection asked for (SNI); TLS 1.2 or newer. A file changed on disk since its context was
// made gets a new context at the next connect. Not thread-safe: used from one loop thread.
class TlsContextCache {
  public:
    TlsContextCache();
    ~TlsContextCache();
    TlsContextCache(const TlsContextCache&) = delete;
    TlsContextCache& operator=(const TlsContextCache&) = delete;

    // The context for `settings`, or nullptr with `error` set (file missing, key mismatch...).
    // The pointer stays valid until the cache is destroyed or the same settings' files change;
    // libmosquitto takes its own reference.
    ssl_ctx_st* get(const TlsSettings& settings, std::string& error);

  private:
    struct Entry;
    std::map<std::string, std::unique_ptr<Entry>> entries_;
};

}  // namespace hubgate::transport
