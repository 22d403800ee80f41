#include "hubsim/cli/free_ports.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include <stdexcept>

namespace hubsim::cli {

std::vector<int> pick_free_ports(int count) {
    std::vector<int> sockets;
    std::vector<int> ports;
    // All sockets stay bound until every port is picked, so the ports are distinct.
    for (int i = 0; i < count; ++i) {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_ANY);
        socklen_t len = sizeof addr;
        if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
            ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
            if (fd >= 0)
                ::close(fd);
            for (int s : sockets)
                ::close(s);
            throw std::runtime_error("cannot find a free TCP port");
        }
        sockets.push_back(fd);
        ports.push_back(ntohs(addr.sin_port));
    }
    for (int s : sockets)
        ::close(s);
    return ports;
}

bool port_accepts(int port, std::chrono::milliseconds timeout) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return false;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    // Non-blocking with a bounded wait: a listener whose backlog is full never answers a SYN.
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    if (!ok && errno == EINPROGRESS) {
        pollfd pfd{fd, POLLOUT, 0};
        int error = 0;
        socklen_t len = sizeof error;
        ok = ::poll(&pfd, 1, static_cast<int>(timeout.count())) == 1 &&
             ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) == 0 && error == 0;
    }
    ::close(fd);
    return ok;
}

}  // namespace hubsim::cli
