#include "gateway/transport/mosquitto_loop.hpp"

#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "gateway/liveness/thread_heartbeat.hpp"
#include "gateway/transport/event_batch.hpp"

namespace hubgate::transport {

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kTimerPeriod = std::chrono::seconds(1);
constexpr int kMaxEvents = 256;

}  // namespace

MosquittoLoop::MosquittoLoop() : epoll_fd_(::epoll_create1(EPOLL_CLOEXEC)) {
    if (epoll_fd_ < 0) {
        throw std::system_error(errno, std::generic_category(), "epoll_create1");
    }
    epoll_event wake{};
    wake.events = EPOLLIN;
    wake.data.ptr = nullptr;  // the wakeup fd is the only entry without a link
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wakeup_.fd(), &wake) != 0) {
        const int error = errno;
        ::close(epoll_fd_);
        throw std::system_error(error, std::generic_category(), "epoll_ctl");
    }
    thread_ = std::thread([this] { run(); });
}

MosquittoLoop::~MosquittoLoop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wakeup_.signal();
    thread_.join();
    for (auto* link : links_) {
        delete link;  // connections outlived the factory: close their sockets at least
    }
    ::close(epoll_fd_);
}

void MosquittoLoop::post(LinkCommand command) {
    bool was_empty = false;
    {
        std::lock_guard lock(mutex_);
        was_empty = queue_.empty();
        queue_.push_back(std::move(command));
    }
    // One wakeup per batch: the loop takes the whole queue at once.
    if (was_empty) {
        wakeup_.signal();
    }
}

void MosquittoLoop::destroy(MosquittoLink* link) {
    LinkCommand command;
    command.kind = LinkCommand::Kind::Destroy;
    command.link = link;
    if (std::this_thread::get_id() == thread_.get_id()) {
        execute(command);
        return;
    }
    std::promise<void> destroyed;
    auto done = destroyed.get_future();
    command.destroyed = &destroyed;
    post(std::move(command));
    done.wait();
}

void MosquittoLoop::run() {
    // OpenSSL writes with write(): a hub that vanished must give EPIPE, not kill the daemon.
    sigset_t pipe_signal;
    sigemptyset(&pipe_signal);
    sigaddset(&pipe_signal, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);

    std::array<epoll_event, kMaxEvents> events{};
    auto next_timer = Clock::now() + kTimerPeriod;
    liveness::Heartbeat heartbeat("upstream loop");
    for (;;) {
        heartbeat.beat();
        const auto wait_ms = std::min<int64_t>(
            std::chrono::duration_cast<std::chrono::milliseconds>(next_timer - Clock::now())
                .count(),
            liveness::kMaxIdleWait.count());
        const int count = ::epoll_wait(epoll_fd_, events.data(), kMaxEvents,
                                       static_cast<int>(std::max<int64_t>(0, wait_ms) + 1));
        if (count < 0 && errno != EINTR) {
            spdlog::error("upstream loop: epoll_wait failed: {}", std::strerror(errno));
        }
        // The sessions' events of this turn reach the session manager together.
        const EventBatch batch;
        for (int i = 0; i < count; ++i) {
            auto* link = static_cast<MosquittoLink*>(events[static_cast<std::size_t>(i)].data.ptr);
            if (link == nullptr) {
                wakeup_.drain();
                continue;
            }
            link->on_ready(events[static_cast<std::size_t>(i)].events);
            sync_socket(*link);
        }
        {
            std::lock_guard lock(mutex_);
            if (stopping_) {
                return;
            }
        }
        run_commands();
        const auto now = Clock::now();
        if (now >= next_timer) {
            for (auto* link : links_) {
                link->on_timer(now);
                sync_socket(*link);
            }
            next_timer = now + kTimerPeriod;
        }
    }
}

void MosquittoLoop::run_commands() {
    {
        std::lock_guard lock(mutex_);
        running_.swap(queue_);
    }
    for (auto& command : running_) {
        execute(command);
    }
    running_.clear();
}

void MosquittoLoop::execute(LinkCommand& command) {
    MosquittoLink& link = *command.link;
    switch (command.kind) {
        case LinkCommand::Kind::Connect:
            links_.insert(&link);
            unregister(link);  // the old socket (if any) goes with the old client
            link.connect(*command.connect, tls_);
            break;
        case LinkCommand::Kind::Disconnect:
            link.disconnect();
            break;
        case LinkCommand::Kind::Subscribe:
            link.subscribe(command.filters, command.qos, command.tag);
            break;
        case LinkCommand::Kind::Publish:
            link.publish(command.topic, command.payload, command.qos, command.tag);
            break;
        case LinkCommand::Kind::Destroy:
            // Whoever destroys the connection may go away once this is done: every event the
            // link raised must have been handed over by then.
            EventBatch::flush();
            unregister(link);
            links_.erase(&link);
            delete &link;
            if (command.destroyed != nullptr) {
                command.destroyed->set_value();
            }
            return;
    }
    sync_socket(link);
}

// Keeps the epoll set in step with the link's socket. Called right after every call into the
// link, before any other link runs, so a closed socket's number cannot have been reused by
// another link in between.
void MosquittoLoop::sync_socket(MosquittoLink& link) {
    const LinkSocket wanted = link.wanted_socket();
    LinkSocket& current = link.registered;
    if (wanted.fd == current.fd && wanted.events == current.events) {
        return;
    }
    if (wanted.fd != current.fd) {
        unregister(link);
    }
    if (wanted.fd < 0) {
        return;
    }
    epoll_event event{};
    event.events = wanted.events;
    event.data.ptr = &link;
    const int op = current.fd == wanted.fd ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    if (::epoll_ctl(epoll_fd_, op, wanted.fd, &event) != 0) {
        spdlog::error("upstream loop: cannot watch a hub socket: {}", std::strerror(errno));
        return;
    }
    current = wanted;
}

void MosquittoLoop::unregister(MosquittoLink& link) {
    if (link.registered.fd >= 0) {
        // Fails harmlessly when libmosquitto already closed the socket (closing removes it).
        ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, link.registered.fd, nullptr);
    }
    link.registered = {};
}

}  // namespace hubgate::transport
