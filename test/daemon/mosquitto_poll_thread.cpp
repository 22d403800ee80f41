#include "mosquitto_poll_thread.hpp"

#include <mosquitto.h>
#include <poll.h>

namespace hubgate::test {

namespace {

// How long one wait lasts: publishes queued by other threads are written at the next turn, and
// keepalives and stopping are looked at this often.
constexpr int kWaitMs = 5;

}  // namespace

MosquittoPollThread::MosquittoPollThread(::mosquitto* client,
                                         std::chrono::milliseconds reconnect_delay)
    : client_(client), reconnect_delay_(reconnect_delay) {
    mosquitto_threaded_set(client_, true);
    thread_ = std::thread([this] { run(); });
}

MosquittoPollThread::~MosquittoPollThread() {
    stopping_ = true;
    thread_.join();
    // What mosquitto_disconnect() queued is written before the client is destroyed.
    mosquitto_loop_write(client_, 1);
}

void MosquittoPollThread::run() {
    while (!stopping_) {
        const int fd = mosquitto_socket(client_);
        if (fd < 0) {
            std::this_thread::sleep_for(reconnect_delay_);
            if (!stopping_) {
                mosquitto_reconnect_async(client_);
            }
            continue;
        }
        pollfd wait{fd, static_cast<short>(POLLIN | (mosquitto_want_write(client_) ? POLLOUT : 0)),
                    0};
        const int ready = ::poll(&wait, 1, kWaitMs);
        int rc = MOSQ_ERR_SUCCESS;
        if (ready > 0 && (wait.revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
            rc = mosquitto_loop_read(client_, 1);
        }
        if (rc == MOSQ_ERR_SUCCESS && mosquitto_want_write(client_)) {
            rc = mosquitto_loop_write(client_, 1);
        }
        if (rc == MOSQ_ERR_SUCCESS) {
            rc = mosquitto_loop_misc(client_);  // keepalive
        }
        // On an error libmosquitto has closed the socket (and called the disconnect callback):
        // the next turn reconnects after the delay.
    }
}

}  // namespace hubgate::test
