#include "notify_sink.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string_view>

namespace hubgate::chaos {

NotifySink::NotifySink(std::filesystem::path path) : path_(std::move(path)) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (fd_ < 0 || path_.string().size() >= sizeof address.sun_path) {
        throw std::runtime_error("notify socket: cannot create " + path_.string());
    }
    path_.string().copy(address.sun_path, sizeof address.sun_path - 1);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        const std::string why = std::strerror(errno);
        ::close(fd_);
        throw std::runtime_error("notify socket: bind " + path_.string() + ": " + why);
    }
    timeval timeout{0, 200000};  // so that the thread sees stop_ soon
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    thread_ = std::thread([this] { run(); });
}

NotifySink::~NotifySink() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
    ::unlink(path_.c_str());
}

void NotifySink::run() {
    char buffer[4096];
    while (!stop_) {
        const auto size = ::recv(fd_, buffer, sizeof buffer, 0);
        if (size > 0 &&
            std::string_view(buffer, static_cast<std::size_t>(size)).find("WATCHDOG=1") !=
                std::string_view::npos) {
            ++pings_;
        }
    }
}

}  // namespace hubgate::chaos
