#pragma once
// Settings of the link to the local broker (filled by the config module from [local]).

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace hubgate::transport {

// TLS towards the local broker. The server certificate is always verified against ca_file /
// ca_dir, including its host name (or IP address SAN) against `host`.
struct LocalTlsOptions {
    std::string ca_file;    // PEM bundle; this or ca_dir is required
    std::string ca_dir;     // directory of hashed CA certificates
    std::string cert_file;  // client certificate (PEM), optional
    std::string key_file;   // its private key (PEM, unencrypted), required with cert_file
};

// How to reach and what to read from the local broker.
struct LocalLinkOptions {
    std::string host = "127.0.0.1";
    int port = 1883;
    // Fixed, so that the broker keeps our persistent session (clean_session=false) and queues
    // messages while hubgate is down. Two hubgate instances must never share it.
    std::string client_id = "hubgate";
    std::optional<std::string> username;
    std::optional<std::string> password;  // never logged
    std::optional<LocalTlsOptions> tls;
    // Subscribed exactly these (the filters the mappings need), at `qos`: 1 (at least once: a
    // message is acknowledged to the broker only once stored) or 0 (at most once).
    std::vector<std::string> filters;
    int qos = 1;
    std::chrono::seconds keepalive{30};
    std::chrono::milliseconds backoff_min{250};
    std::chrono::milliseconds backoff_max{30000};
    // A connection attempt without CONNACK after this long is abandoned and retried.
    std::chrono::milliseconds connect_timeout{10000};
    // Downlink publishes waiting for a connection; publish() refuses more.
    std::size_t max_queued_publishes = 100000;
    // Go on reading while a batch syncs (local_link.hpp, "reading ahead"); plain TCP only.
    // False: reading waits for each sync, as it always does over TLS.
    bool read_ahead = true;
};

}  // namespace hubgate::transport
