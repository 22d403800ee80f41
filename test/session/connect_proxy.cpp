#include "connect_proxy.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <stdexcept>

namespace hubgate::session::test {

namespace {

constexpr int kPollMs = 100;

int connect_loopback(int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

bool write_all(int fd, const char* data, size_t size) {
    while (size > 0) {
        const auto n = ::send(fd, data, size, MSG_NOSIGNAL);
        if (n <= 0) {
            return false;
        }
        data += n;
        size -= static_cast<size_t>(n);
    }
    return true;
}

}  // namespace

ConnectProxy::ConnectProxy() {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        ::listen(listen_fd_, 16) != 0 ||
        ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        ::close(listen_fd_);
        throw std::runtime_error("proxy: cannot listen");
    }
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
}

ConnectProxy::~ConnectProxy() {
    stop_ = true;
    acceptor_.join();
    for (auto& worker : workers_) {
        worker.join();
    }
    ::close(listen_fd_);
}

std::vector<std::string> ConnectProxy::targets() const {
    std::lock_guard lock(mutex_);
    return targets_;
}

void ConnectProxy::accept_loop() {
    while (!stop_) {
        pollfd pfd{listen_fd_, POLLIN, 0};
        if (::poll(&pfd, 1, kPollMs) <= 0) {
            continue;
        }
        const int client = ::accept(listen_fd_, nullptr, nullptr);
        if (client >= 0) {
            workers_.emplace_back([this, client] { serve(client); });
        }
    }
}

void ConnectProxy::serve(int client) {
    std::string request;
    std::array<char, 4096> buffer{};
    while (request.find("\r\n\r\n") == std::string::npos && request.size() < 8192 && !stop_) {
        pollfd pfd{client, POLLIN, 0};
        if (::poll(&pfd, 1, kPollMs) <= 0) {
            continue;
        }
        const auto n = ::recv(client, buffer.data(), buffer.size(), 0);
        if (n <= 0) {
            ::close(client);
            return;
        }
        request.append(buffer.data(), static_cast<size_t>(n));
    }
    // "CONNECT host:port HTTP/1.1": only loopback targets are tunnelled.
    const auto line_end = request.find("\r\n");
    const auto first_line = request.substr(0, line_end);
    const auto colon = first_line.rfind(':');
    const auto space = first_line.find(' ', colon);
    int target = -1;
    if (first_line.starts_with("CONNECT ") && colon != std::string::npos) {
        {
            std::lock_guard lock(mutex_);
            targets_.push_back(first_line.substr(8, space - 8));
        }
        target = connect_loopback(std::stoi(first_line.substr(colon + 1, space - colon - 1)));
    }
    if (target < 0) {
        const std::string refusal = "HTTP/1.1 502 Bad Gateway\r\n\r\n";
        write_all(client, refusal.data(), refusal.size());
        ::close(client);
        return;
    }
    const std::string ok = "HTTP/1.1 200 Connection established\r\n\r\n";
    write_all(client, ok.data(), ok.size());
    ++tunnels_;
    std::array<pollfd, 2> fds{pollfd{client, POLLIN, 0}, pollfd{target, POLLIN, 0}};
    bool open = true;
    while (open && !stop_) {
        if (::poll(fds.data(), fds.size(), kPollMs) <= 0) {
            continue;
        }
        for (size_t i = 0; i < 2 && open; ++i) {
            if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) {
                continue;
            }
            const auto n = ::recv(fds[i].fd, buffer.data(), buffer.size(), 0);
            open = n > 0 && write_all(fds[1 - i].fd, buffer.data(), static_cast<size_t>(n));
        }
    }
    ::close(client);
    ::close(target);
}

}  // namespace hubgate::session::test
