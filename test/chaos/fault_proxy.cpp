#include "fault_proxy.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <deque>
#include <list>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace hubgate::chaos {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::size_t kReadSize = 64 * 1024;
constexpr std::size_t kQueueLimit = 512 * 1024;  // stop reading a side whose bytes wait here
constexpr int kIdlePollMs = 100;

void set_nonblocking(int fd) {
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

void set_nodelay(int fd) {
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

int connect_loopback(int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (port <= 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

struct Chunk {
    Clock::time_point due;
    std::string bytes;
    std::size_t sent = 0;
};

// One direction of a connection.
struct Pipe {
    int from = -1;
    int to = -1;
    std::deque<Chunk> queue;
    std::size_t queued_bytes = 0;
    bool eof = false;

    bool due(Clock::time_point now) const { return !queue.empty() && queue.front().due <= now; }
};

struct Link {
    int client = -1;
    int upstream = -1;
    Pipe up;
    Pipe down;
    bool broken = false;
};

}  // namespace

FaultProxy::FaultProxy() {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        ::listen(listen_fd_, 1024) != 0 ||
        ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        ::close(listen_fd_);
        throw std::runtime_error("fault proxy: cannot listen");
    }
    set_nonblocking(listen_fd_);
    port_ = ntohs(addr.sin_port);
    wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    loop_ = std::thread([this] { run(); });
}

FaultProxy::~FaultProxy() {
    stop_ = true;
    const uint64_t one = 1;
    [[maybe_unused]] const auto n = ::write(wake_fd_, &one, sizeof one);
    loop_.join();
    ::close(listen_fd_);
    ::close(wake_fd_);
}

void FaultProxy::hold() {
    ++holds_;
}

void FaultProxy::release() {
    if (holds_ > 0) {
        --holds_;
    }
    const uint64_t one = 1;
    [[maybe_unused]] const auto n = ::write(wake_fd_, &one, sizeof one);
}

void FaultProxy::run() {
    std::list<Link> links;
    std::mt19937 loss_draw(12345);
    std::vector<pollfd> fds;
    std::vector<std::pair<Link*, Pipe*>> owners;  // per pollfd after the first two

    const auto read_side = [&](Pipe& pipe, Clock::time_point now) -> bool {
        char buffer[kReadSize];
        const auto n = ::recv(pipe.from, buffer, sizeof buffer, 0);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
            pipe.eof = true;
            return false;
        }
        if (n < 0) {
            return true;
        }
        auto due = now + milliseconds(latency_ms_.load());
        if (loss_permille_ > 0 && static_cast<int>(loss_draw() % 1000) < loss_permille_) {
            due += milliseconds(200 + loss_draw() % 401);
        }
        if (!pipe.queue.empty()) {
            due = std::max(due, pipe.queue.back().due);  // bytes stay in order
        }
        pipe.queue.push_back({due, std::string(buffer, static_cast<std::size_t>(n))});
        pipe.queued_bytes += static_cast<std::size_t>(n);
        return true;
    };
    const auto write_side = [](Pipe& pipe, Clock::time_point now) -> bool {
        while (pipe.due(now)) {
            auto& chunk = pipe.queue.front();
            const auto n = ::send(pipe.to, chunk.bytes.data() + chunk.sent,
                                  chunk.bytes.size() - chunk.sent, MSG_NOSIGNAL);
            if (n < 0) {
                return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
            }
            chunk.sent += static_cast<std::size_t>(n);
            if (chunk.sent < chunk.bytes.size()) {
                return true;
            }
            pipe.queued_bytes -= chunk.bytes.size();
            pipe.queue.pop_front();
        }
        return true;
    };

    while (!stop_) {
        const bool held = holds_ > 0;
        auto now = Clock::now();
        int timeout_ms = kIdlePollMs;
        fds.clear();
        owners.clear();
        fds.push_back({wake_fd_, POLLIN, 0});
        fds.push_back({listen_fd_, POLLIN, 0});
        if (!held) {
            for (auto& link : links) {
                for (Pipe* pipe : {&link.up, &link.down}) {
                    if (!pipe->eof && pipe->queued_bytes < kQueueLimit) {
                        fds.push_back({pipe->from, POLLIN, 0});
                        owners.emplace_back(&link, pipe);
                    }
                    if (!pipe->queue.empty()) {
                        const auto wait =
                            std::chrono::duration_cast<milliseconds>(pipe->queue.front().due - now);
                        if (wait.count() <= 0) {
                            fds.push_back({pipe->to, POLLOUT, 0});
                            owners.emplace_back(&link, pipe);
                        } else {
                            timeout_ms = std::min<int>(timeout_ms, static_cast<int>(wait.count()));
                        }
                    }
                }
            }
        }
        ::poll(fds.data(), fds.size(), timeout_ms);
        now = Clock::now();
        if (fds[0].revents & POLLIN) {
            uint64_t count = 0;
            [[maybe_unused]] const auto n = ::read(wake_fd_, &count, sizeof count);
        }
        if (fds[1].revents & POLLIN) {
            while (true) {
                const int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
                if (client < 0) {
                    break;
                }
                const int upstream = connect_loopback(target_port_);
                if (upstream < 0) {
                    ::close(client);  // the hub is down: its port refuses
                    continue;
                }
                ++connections_;
                for (const int fd : {client, upstream}) {
                    set_nonblocking(fd);
                    set_nodelay(fd);
                }
                auto& link = links.emplace_back();
                link.client = client;
                link.upstream = upstream;
                link.up.from = client;
                link.up.to = upstream;
                link.down.from = upstream;
                link.down.to = client;
            }
        }
        if (held) {
            continue;
        }
        for (std::size_t i = 2; i < fds.size(); ++i) {
            auto [link, pipe] = owners[i - 2];
            if (link->broken || fds[i].revents == 0) {
                continue;
            }
            if (fds[i].events & POLLIN) {
                read_side(*pipe, now);
            } else if (!write_side(*pipe, now)) {
                link->broken = true;
            }
        }
        for (auto& link : links) {
            for (Pipe* pipe : {&link.up, &link.down}) {
                if (!link.broken && !write_side(*pipe, now)) {
                    link.broken = true;
                }
                if (pipe->eof && pipe->queue.empty()) {
                    link.broken = true;  // MQTT never half-closes: end the whole link
                }
            }
        }
        links.remove_if([](const Link& link) {
            if (link.broken) {
                ::close(link.client);
                ::close(link.upstream);
            }
            return link.broken;
        });
    }
    for (const auto& link : links) {
        ::close(link.client);
        ::close(link.upstream);
    }
}

}  // namespace hubgate::chaos
