#include "gateway/transport/mosquitto_link.hpp"

#include <mosquitto.h>
#include <openssl/ssl.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "gateway/trace/latency_trace.hpp"
#include "gateway/transport/mosquitto_client.hpp"
#include "gateway/transport/upstream_tls.hpp"
#include "gateway/transport/wakeup_pair_guard.hpp"

namespace hubgate::transport {

namespace {

constexpr auto kDisconnectTimeout = std::chrono::seconds(2);
// loop_read rounds per wake-up while OpenSSL still holds received data.
constexpr int kMaxReadRounds = 64;

// Records OpenSSL has read from the socket (read-ahead) but libmosquitto has not taken yet:
// epoll will not report them, the socket being empty.
bool tls_data_buffered(mosquitto* client) {
    auto* ssl = static_cast<SSL*>(mosquitto_ssl_get(client));
    return ssl != nullptr && SSL_has_pending(ssl) == 1;
}

}  // namespace

// The C callbacks libmosquitto calls from inside loop_read/loop_write/loop_misc/publish, on
// the loop thread. No exception may cross back into C: the handlers only post events.
struct MosquittoLinkCallbacks {
    static MosquittoLink& link(void* self) { return *static_cast<MosquittoLink*>(self); }
    static void on_connect(mosquitto*, void* self, int code) { link(self).handle_connack(code); }
    static void on_disconnect(mosquitto*, void* self, int rc) { link(self).handle_disconnect(rc); }
    static void on_publish(mosquitto*, void* self, int mid) { link(self).handle_publish(mid); }
    static void on_subscribe(mosquitto*, void* self, int mid, int count, const int* granted) {
        link(self).handle_subscribe(mid, count, granted);
    }
    static void on_message(mosquitto*, void* self, const mosquitto_message* message) {
        link(self).handle_message(message);
    }
    static void install(mosquitto* client) {
        mosquitto_connect_callback_set(client, on_connect);
        mosquitto_disconnect_callback_set(client, on_disconnect);
        mosquitto_publish_callback_set(client, on_publish);
        mosquitto_subscribe_callback_set(client, on_subscribe);
        mosquitto_message_callback_set(client, on_message);
    }
};

MosquittoLink::MosquittoLink(std::string host, int port, std::string client_id,
                             UpstreamEvents& events)
    : host_(std::move(host)), port_(port), client_id_(std::move(client_id)), events_(events) {
    transport::init_mosquitto_library();
}

MosquittoLink::~MosquittoLink() {
    release();
}

void MosquittoLink::connect(const ConnectRequest& request, TlsContextCache& tls) {
    release();
    if (!request.http_proxy.empty()) {
        events_.on_connect_result(
            {false, -1, "an HTTP proxy needs the WebSocket transport (Paho client)"});
        return;
    }
    std::string error;
    auto* context = tls.get(request.tls, error);
    if (context == nullptr) {
        events_.on_connect_result({false, -1, error});
        return;
    }
    // Clean session off: IoT Hub keeps the device's subscriptions and C2D queue across
    // connections (docs/iothub-mqtt.md).
    {
        const transport::WakeupPairGuard no_wakeup_pair;
        client_ = mosquitto_new(client_id_.c_str(), false, this);
    }
    if (client_ == nullptr) {
        events_.on_connect_result({false, -1, "cannot create an MQTT client (out of memory?)"});
        return;
    }
    MosquittoLinkCallbacks::install(client_);
    mosquitto_int_option(client_, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
    mosquitto_int_option(client_, MOSQ_OPT_TCP_NODELAY, 1);
    // The session keeps its own window of unacknowledged publishes.
    mosquitto_max_inflight_messages_set(client_, 0);
    // Our context as it is: libmosquitto's defaults would load the CA file again per connect.
    mosquitto_int_option(client_, MOSQ_OPT_SSL_CTX_WITH_DEFAULTS, 0);
    mosquitto_void_option(client_, MOSQ_OPT_SSL_CTX, context);
    const char* password = request.password.empty() ? nullptr : request.password.c_str();
    int rc = mosquitto_username_pw_set(client_, request.username.c_str(), password);
    if (rc == MOSQ_ERR_SUCCESS) {
        rc = mosquitto_connect_async(client_, host_.c_str(), port_,
                                     static_cast<int>(request.keep_alive.count()));
    }
    if (rc != MOSQ_ERR_SUCCESS || mosquitto_socket(client_) < 0) {
        const std::string why =
            rc == MOSQ_ERR_ERRNO ? std::strerror(errno) : mosquitto_strerror(rc);
        release();
        events_.on_connect_result(
            {false, -1, "connect to " + host_ + ":" + std::to_string(port_) + " failed: " + why});
        return;
    }
    phase_ = Phase::TcpPending;
    deadline_ = Clock::now() + request.connect_timeout;
}

void MosquittoLink::disconnect() {
    if (phase_ == Phase::Connected) {
        phase_ = Phase::Disconnecting;
        deadline_ = Clock::now() + kDisconnectTimeout;
        // Written at once (or when the socket takes it); libmosquitto then closes the socket
        // and reports the disconnect with rc 0.
        if (mosquitto_disconnect(client_) == MOSQ_ERR_SUCCESS) {
            settle();
            return;
        }
    }
    // Not connected (or the DISCONNECT could not be queued): nothing to wait for.
    release();
    events_.on_disconnected();
}

void MosquittoLink::subscribe(const std::vector<std::string>& filters, int qos, uint64_t tag) {
    if (phase_ != Phase::Connected || filters.empty()) {
        events_.on_subscribe_result(tag, false);
        return;
    }
    std::vector<char*> list;
    list.reserve(filters.size());
    for (const auto& filter : filters) {
        list.push_back(const_cast<char*>(filter.c_str()));  // libmosquitto only reads them
    }
    int mid = 0;
    const int rc = mosquitto_subscribe_multiple(client_, &mid, static_cast<int>(list.size()),
                                                list.data(), qos, 0, nullptr);
    if (rc != MOSQ_ERR_SUCCESS) {
        events_.on_subscribe_result(tag, false);
        return;
    }
    subscribe_tags_[mid] = tag;
    settle();
}

void MosquittoLink::publish(const std::string& topic, const std::string& payload, int qos,
                            uint64_t tag) {
    if (phase_ != Phase::Connected) {
        events_.on_publish_result(tag, false, "not connected");
        return;
    }
    int mid = 0;
    publishing_tag_ = qos == 0 ? &tag : nullptr;
    const int rc = mosquitto_publish(client_, &mid, topic.c_str(), static_cast<int>(payload.size()),
                                     payload.data(), qos, false);
    const bool reported = qos == 0 && publishing_tag_ == nullptr;
    publishing_tag_ = nullptr;
    if (rc != MOSQ_ERR_SUCCESS) {
        if (!reported) {
            events_.on_publish_result(tag, false, mosquitto_strerror(rc));
        }
        return;
    }
    if (!reported) {
        publish_tags_.emplace_back(mid, tag);
    }
    HUBGATE_TRACE(trace::Point::tls_written, tag, mosquitto_want_write(client_) ? 1 : 0, &events_);
    if (tls_buffers_.on_traffic(Clock::now())) {
        release_tls_buffers(false);
    }
    settle();
}

void MosquittoLink::release_tls_buffers(bool release) {
    auto* ssl = client_ != nullptr ? static_cast<SSL*>(mosquitto_ssl_get(client_)) : nullptr;
    if (ssl == nullptr) {
        return;
    }
    if (!release) {
        SSL_clear_mode(ssl, SSL_MODE_RELEASE_BUFFERS);
        return;
    }
    SSL_set_mode(ssl, SSL_MODE_RELEASE_BUFFERS);
    // Fails while a buffer holds data; the mode then frees it after its next record.
    SSL_free_buffers(ssl);
}

void MosquittoLink::on_ready(uint32_t events) {
    if (client_ == nullptr) {
        return;
    }
    if (phase_ == Phase::TcpPending) {
        int error = 0;
        socklen_t size = sizeof error;
        ::getsockopt(mosquitto_socket(client_), SOL_SOCKET, SO_ERROR, &error, &size);
        if (error != 0 || (events & (EPOLLERR | EPOLLHUP)) != 0) {
            fail_connect(error != 0 ? std::strerror(error) : "connection refused");
            return;
        }
        if ((events & EPOLLOUT) == 0) {
            return;
        }
        phase_ = Phase::Handshaking;
    }
    if (phase_ == Phase::Handshaking) {
        // Drives the TLS handshake; once it is done, CONNECT (queued by connect_async) goes out.
        read();
        if (client_ != nullptr && phase_ == Phase::Handshaking) {
            write();
        }
        settle();
        return;
    }
    if ((events & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0) {
        read();
    }
    if (client_ != nullptr && phase_ != Phase::Idle && (events & EPOLLOUT) != 0) {
        write();
    }
    settle();
}

void MosquittoLink::on_timer(Clock::time_point now) {
    switch (phase_) {
        case Phase::Idle:
            return;
        case Phase::TcpPending:
        case Phase::Handshaking:
            if (now >= deadline_) {
                fail_connect("no CONNACK from the hub in time");
            }
            return;
        case Phase::Disconnecting:
            if (now >= deadline_) {
                release();
                events_.on_disconnected();
            }
            return;
        case Phase::Connected:
            if (tls_buffers_.on_timer(now)) {
                release_tls_buffers(true);
            }
            // Keepalive: PINGREQ when due; a missing PINGRESP reports a disconnect.
            last_rc_ = mosquitto_loop_misc(client_);
            settle();
            return;
    }
}

LinkSocket MosquittoLink::wanted_socket() const {
    const int fd = client_ != nullptr ? mosquitto_socket(client_) : -1;
    if (fd < 0) {
        return {};
    }
    switch (phase_) {
        case Phase::TcpPending:
            return {fd, EPOLLOUT};
        case Phase::Handshaking:
            // mosquitto_want_write stays true through a handshake that once waited to write:
            // asking for EPOLLOUT then would spin. The handshake's writes go out from reads.
            return {fd, EPOLLIN};
        default:
            return {fd, EPOLLIN | (mosquitto_want_write(client_) ? EPOLLOUT : 0u)};
    }
}

void MosquittoLink::read() {
    // libmosquitto queues the PUBACK of a QoS 1 PUBLISH before it calls on_message, and outside
    // "threaded" mode writes it at once (lib/handle_publish.c, packet__queue in 2.0.11): the hub
    // would have it before the message is kept. In threaded mode a queued packet waits for
    // loop_write, so while reading the PUBACKs wait here until every message of the read has
    // been kept (c2d_keeper.hpp), and a connection with a message that could not be kept is
    // closed without writing them.
    mosquitto_threaded_set(client_, true);
    read_rounds();
    if (client_ == nullptr) {
        return;
    }
    mosquitto_threaded_set(client_, false);
    if (unkept_) {
        unkept_ = false;
        const bool was_connected = phase_ == Phase::Connected;
        release();  // closes the socket: the queued PUBACKs never leave
        if (was_connected) {
            events_.on_connection_lost("a message from the hub could not be kept",
                                       LossOrigin::Local);
        }
        return;
    }
    if (phase_ == Phase::Connected && mosquitto_want_write(client_)) {
        write();  // the PUBACKs held back above
    }
}

void MosquittoLink::read_rounds() {
    for (int round = 0; round < kMaxReadRounds && client_ != nullptr; ++round) {
        errno = 0;
        last_rc_ = mosquitto_loop_read(client_, 1);
        // EAGAIN: OpenSSL needs more bytes from the socket (what it holds is a partial record),
        // and epoll reports them when they come.
        if (client_ == nullptr || last_rc_ != MOSQ_ERR_SUCCESS || errno == EAGAIN ||
            !tls_data_buffered(client_)) {
            return;
        }
    }
}

void MosquittoLink::write() {
    last_rc_ = mosquitto_loop_write(client_, 1);
}

void MosquittoLink::settle() {
    if (client_ == nullptr) {
        return;
    }
    if (phase_ == Phase::Idle) {
        release();  // a disconnect (or refusal) was reported by a callback
        return;
    }
    if (mosquitto_socket(client_) >= 0) {
        return;
    }
    // libmosquitto closed the socket without a disconnect callback (a failed TLS handshake
    // does that): report what the phase was waiting for.
    switch (phase_) {
        case Phase::TcpPending:
        case Phase::Handshaking:
            fail_connect(last_rc_ == MOSQ_ERR_TLS ? "TLS handshake failed (server not trusted?)"
                                                  : mosquitto_strerror(last_rc_));
            return;
        case Phase::Connected:
            release();
            events_.on_connection_lost(mosquitto_strerror(last_rc_), LossOrigin::Hub);
            return;
        case Phase::Disconnecting:
            release();
            events_.on_disconnected();
            return;
        case Phase::Idle:
            return;
    }
}

void MosquittoLink::fail_connect(const std::string& why) {
    release();
    events_.on_connect_result({false, -1, why});
}

void MosquittoLink::release() {
    if (client_ != nullptr) {
        mosquitto_destroy(client_);
        client_ = nullptr;
    }
    phase_ = Phase::Idle;
    unkept_ = false;
    publish_tags_.clear();
    subscribe_tags_.clear();
    tls_buffers_.reset();
}

void MosquittoLink::handle_connack(int code) {
    if (phase_ != Phase::Handshaking) {
        return;
    }
    if (code == 0) {
        phase_ = Phase::Connected;
        events_.on_connect_result({true, 0, {}});
        return;
    }
    // libmosquitto reports the refusal's disconnect next; the link is released after the read.
    phase_ = Phase::Idle;
    events_.on_connect_result({false, code, mosquitto_connack_string(code)});
}

void MosquittoLink::handle_disconnect(int rc) {
    const Phase was = phase_;
    phase_ = Phase::Idle;
    switch (was) {
        case Phase::Connected:
            if (rc == MOSQ_ERR_KEEPALIVE) {
                events_.on_connection_lost("keepalive timeout", LossOrigin::Local);
            } else {
                events_.on_connection_lost(mosquitto_strerror(rc), LossOrigin::Hub);
            }
            return;
        case Phase::Disconnecting:
            events_.on_disconnected();
            return;
        case Phase::TcpPending:
        case Phase::Handshaking:
            events_.on_connect_result(
                {false, -1,
                 std::string("connection closed before CONNACK: ") + mosquitto_strerror(rc)});
            return;
        case Phase::Idle:
            return;  // after a CONNACK refusal: already reported
    }
}

void MosquittoLink::handle_publish(int mid) {
    // PUBACKs come in publish order, so the match is almost always the first.
    const auto found = std::find_if(publish_tags_.begin(), publish_tags_.end(),
                                    [mid](const auto& entry) { return entry.first == mid; });
    if (found != publish_tags_.end()) {
        const uint64_t tag = found->second;
        publish_tags_.erase(found);
        HUBGATE_TRACE(trace::Point::hub_puback, tag, 0, &events_);
        events_.on_publish_result(tag, true, {});
    } else if (publishing_tag_ != nullptr) {
        // The QoS 0 publish being made, written from inside mosquitto_publish.
        const uint64_t tag = *publishing_tag_;
        publishing_tag_ = nullptr;
        events_.on_publish_result(tag, true, {});
    }
}

void MosquittoLink::handle_subscribe(int mid, int count, const int* granted) {
    const auto found = subscribe_tags_.find(mid);
    if (found == subscribe_tags_.end()) {
        return;
    }
    const uint64_t tag = found->second;
    subscribe_tags_.erase(found);
    bool ok = count > 0;
    for (int i = 0; i < count; ++i) {
        ok = ok && granted[i] < 0x80;
    }
    events_.on_subscribe_result(tag, ok);
}

void MosquittoLink::handle_message(const mosquitto_message* message) {
    if (unkept_) {
        return;  // the connection closes unacknowledged after this read; the hub sends it again
    }
    const bool kept =
        events_.on_message(message->topic != nullptr ? message->topic : "",
                           std::string(static_cast<const char*>(message->payload),
                                       static_cast<std::size_t>(message->payloadlen)));
    unkept_ = !kept;
}

}  // namespace hubgate::transport
