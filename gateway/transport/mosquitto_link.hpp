#pragma once
// One device's connection to the hub on libmosquitto, driven by the upstream loop's thread
// (mosquitto_upstream.cpp): every member is called on that thread only, and every event goes
// to the UpstreamEvents given at creation.

#include <chrono>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "gateway/transport/tls_buffer_keeper.hpp"
#include "gateway/transport/upstream.hpp"

struct mosquitto;
struct mosquitto_message;

namespace hubgate::transport {

class TlsContextCache;

// Where the loop's epoll set stands for one link's socket.
struct LinkSocket {
    int fd = -1;
    uint32_t events = 0;
};

// The state machine of one libmosquitto client: connect (TCP, TLS handshake, CONNACK),
// connected traffic, our own disconnect. A new libmosquitto client is made for every connect,
// so nothing of an earlier connection (queued packets, socket) can leak into the next.
class MosquittoLink {
  public:
    using Clock = std::chrono::steady_clock;

    MosquittoLink(std::string host, int port, std::string client_id, UpstreamEvents& events);
    ~MosquittoLink();
    MosquittoLink(const MosquittoLink&) = delete;
    MosquittoLink& operator=(const MosquittoLink&) = delete;

    void connect(const ConnectRequest& request, TlsContextCache& tls);
    void disconnect();
    void subscribe(const std::vector<std::string>& filters, int qos, uint64_t tag);
    void publish(const std::string& topic, const std::string& payload, int qos, uint64_t tag);

    // The socket is ready (epoll events).
    void on_ready(uint32_t events);
    // Once a second: keepalive, connect and disconnect deadlines.
    void on_timer(Clock::time_point now);

    // The socket and the epoll events it wants now (fd -1: none).
    LinkSocket wanted_socket() const;
    // What the loop registered last (kept here so the loop needs no map from link to fd).
    LinkSocket registered;

  private:
    enum class Phase {
        Idle,          // no client, no socket
        TcpPending,    // non-blocking TCP connect under way
        Handshaking,   // TLS handshake, CONNECT sent, waiting for CONNACK
        Connected,     // CONNACK 0 seen
        Disconnecting  // our DISCONNECT is on its way
    };
    friend struct MosquittoLinkCallbacks;

    void handle_connack(int code);
    void handle_disconnect(int rc);
    void handle_publish(int mid);
    void handle_subscribe(int mid, int count, const int* granted);
    void handle_message(const mosquitto_message* message);

    void read();
    void read_rounds();
    void write();
    // After every libmosquitto call: releases a client whose connection ended.
    void settle();
    void fail_connect(const std::string& why);
    void release();  // destroy the client and its socket; back to Idle
    // Sets or clears SSL_MODE_RELEASE_BUFFERS on the connection's SSL object (see
    // tls_buffer_keeper.hpp); releasing also frees the buffers now if they hold nothing.
    void release_tls_buffers(bool release);

    std::string host_;
    int port_;
    std::string client_id_;
    UpstreamEvents& events_;
    mosquitto* client_ = nullptr;
    Phase phase_ = Phase::Idle;
    Clock::time_point deadline_{};  // connect or disconnect deadline
    // Publishes awaiting their PUBACK (mid, tag), oldest first: at most the in-flight window,
    // so a scan is cheap, and the vector keeps its capacity where a map would allocate a node per
    // message.
    std::vector<std::pair<int, uint64_t>> publish_tags_;
    std::unordered_map<int, uint64_t> subscribe_tags_;
    // A QoS 0 publish may be reported from inside mosquitto_publish, before its mid is known.
    const uint64_t* publishing_tag_ = nullptr;
    int last_rc_ = 0;  // the last loop call's result, for reports
    // A message of the current read could not be kept: its PUBACK must never be written.
    bool unkept_ = false;
    TlsBufferKeeper tls_buffers_;
};

}  // namespace hubgate::transport
