#include "gateway/transport/puback_echo.hpp"

#include <mosquitto.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <chrono>

#include "gateway/liveness/thread_heartbeat.hpp"

namespace hubgate::transport {
namespace {

constexpr int kPollMs = 100;
constexpr auto kRetryDelay = std::chrono::seconds{1};

}  // namespace

// libmosquitto's C callbacks (on the echo thread, inside loop_read/write/misc).
struct EchoCallbacks {
    static void on_connect(mosquitto*, void* self, int rc) {
        static_cast<PubackEcho*>(self)->handle_connect(rc);
    }
    static void on_disconnect(mosquitto*, void* self, int) {
        static_cast<PubackEcho*>(self)->ready_ = false;
    }
    static void on_subscribe(mosquitto*, void* self, int, int qos_count, const int* granted) {
        static_cast<PubackEcho*>(self)->handle_subscribe(qos_count, granted);
    }
    static void on_message(mosquitto*, void* self, const mosquitto_message* message) {
        static_cast<PubackEcho*>(self)->handle_message(message->payload, message->payloadlen);
    }
};

PubackEcho::PubackEcho(LocalLinkOptions options, std::function<void()> on_echo)
    : options_(std::move(options)),
      on_echo_(std::move(on_echo)),
      topic_("$hubgate/" + options_.client_id + "/puback-echo") {
    options_.client_id += "-echo";
}

PubackEcho::~PubackEcho() {
    stop();
}

bool PubackEcho::start(std::string& error) {
    if (mosquitto_pub_topic_check(topic_.c_str()) != MOSQ_ERR_SUCCESS) {
        error = "the local client id cannot be part of a topic: " + topic_;
        return false;
    }
    stopping_ = false;
    thread_ = std::thread([this] { run(); });
    return true;
}

void PubackEcho::stop() {
    if (!thread_.joinable()) {
        return;
    }
    stopping_ = true;
    thread_.join();
}

void PubackEcho::run() {
    sigset_t pipe_signal;
    sigemptyset(&pipe_signal);
    sigaddset(&pipe_signal, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);

    // The link stops reading while markers do not come back: a stuck echo thread would stall the
    // uplink as surely as a stuck link, so it is watched like one (its poll waits kPollMs).
    static_assert(std::chrono::milliseconds(kPollMs) <= liveness::kMaxIdleWait);
    liveness::Heartbeat heartbeat("puback echo");
    auto next_attempt = std::chrono::steady_clock::now();
    while (!stopping_) {
        heartbeat.beat();
        if (!client_ && std::chrono::steady_clock::now() >= next_attempt && !connect_client()) {
            next_attempt = std::chrono::steady_clock::now() + kRetryDelay;
        }
        const int sock = client_ ? mosquitto_socket(client_.get()) : -1;
        if (sock < 0) {
            drop_client();
            ::poll(nullptr, 0, kPollMs);
            continue;
        }
        pollfd fd{sock,
                  static_cast<short>(POLLIN | (mosquitto_want_write(client_.get()) ? POLLOUT : 0)),
                  0};
        ::poll(&fd, 1, kPollMs);
        int rc = MOSQ_ERR_SUCCESS;
        if ((fd.revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
            rc = mosquitto_loop_read(client_.get(), 1);
        }
        if (rc == MOSQ_ERR_SUCCESS && mosquitto_want_write(client_.get())) {
            rc = mosquitto_loop_write(client_.get(), 1);
        }
        if (rc == MOSQ_ERR_SUCCESS) {
            rc = mosquitto_loop_misc(client_.get());
        }
        if (rc != MOSQ_ERR_SUCCESS) {
            drop_client();
            next_attempt = std::chrono::steady_clock::now() + kRetryDelay;
        }
    }
    drop_client();
}

bool PubackEcho::connect_client() {
    std::string error;
    client_ = make_mosquitto_client(options_, this, error);
    if (!client_) {
        spdlog::warn("local link: PUBACK echo: {}", error);
        return false;
    }
    mosquitto_connect_callback_set(client_.get(), EchoCallbacks::on_connect);
    mosquitto_disconnect_callback_set(client_.get(), EchoCallbacks::on_disconnect);
    mosquitto_subscribe_callback_set(client_.get(), EchoCallbacks::on_subscribe);
    mosquitto_message_callback_set(client_.get(), EchoCallbacks::on_message);
    if (mosquitto_connect_async(client_.get(), options_.host.c_str(), options_.port,
                                static_cast<int>(options_.keepalive.count())) != MOSQ_ERR_SUCCESS) {
        client_.reset();
        return false;
    }
    return true;
}

void PubackEcho::drop_client() {
    ready_ = false;
    client_.reset();
}

void PubackEcho::handle_connect(int rc) {
    if (rc != 0) {
        return;  // the closed connection follows; retried
    }
    mosquitto_subscribe(client_.get(), nullptr, topic_.c_str(), 0);
}

void PubackEcho::handle_subscribe(int qos_count, const int* granted) {
    const bool granted_all = qos_count == 1 && granted[0] != 0x80;
    ready_ = granted_all;
    if (!granted_all && !refused_logged_) {
        refused_logged_ = true;
        spdlog::warn(
            "local link: the local broker refused the subscription to '{}': after a crash, "
            "it may redeliver many messages hubgate had already stored (recognised, not sent "
            "twice, within the last 65,535)",
            topic_);
    }
}

void PubackEcho::handle_message(const void* payload, int size) {
    const char* text = static_cast<const char*>(payload);
    std::uint64_t marker = 0;
    const auto [end, parse_error] = std::from_chars(text, text + size, marker);
    if (parse_error != std::errc{} || end != text + size) {
        return;  // not one of ours
    }
    std::uint64_t seen = confirmed_.load();
    while (marker > seen && !confirmed_.compare_exchange_weak(seen, marker)) {
    }
    on_echo_();
}

}  // namespace hubgate::transport
