#include "gateway/control/control_server.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <poll.h>
#include <algorithm>
#include <cerrno>
#include <cstring>

namespace hubgate::control {
namespace {

constexpr std::size_t kMaxRequest = 256;
constexpr timeval kIoTimeout{2, 0};  // a stuck client cannot hold the server longer than this

std::string errno_text(int error) {
    return std::strerror(error);
}

std::optional<sockaddr_un> unix_address(const std::filesystem::path& path) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    const std::string& text = path.native();
    if (text.empty() || text.size() >= sizeof(address.sun_path))
        return std::nullopt;
    std::memcpy(address.sun_path, text.c_str(), text.size() + 1);
    return address;
}

// True when something accepts connections on the socket file at `address`.
bool socket_is_live(const sockaddr_un& address) {
    int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (probe < 0)
        return false;
    bool live = ::connect(probe, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
    ::close(probe);
    return live;
}

// The listening socket systemd passed for `path`, or -1.
int activated_socket(const std::filesystem::path& path) {
    const int count = sd_listen_fds(0);
    for (int fd = SD_LISTEN_FDS_START; fd < SD_LISTEN_FDS_START + count; ++fd) {
        if (sd_is_socket_unix(fd, SOCK_STREAM, 1, path.c_str(), 0) > 0) {
            ::fcntl(fd, F_SETFD, FD_CLOEXEC);
            return fd;
        }
    }
    return -1;
}

void send_all(int connection, const std::string& text) {
    std::size_t sent = 0;
    while (sent < text.size()) {
        ssize_t n = ::send(connection, text.data() + sent, text.size() - sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            spdlog::warn("control socket: answer not delivered: {}", errno_text(errno));
            return;
        }
        sent += static_cast<std::size_t>(n);
    }
}

std::string error_answer(const std::string& message) {
    return nlohmann::json{{"error", message}}.dump(-1, ' ', false,
                                                   nlohmann::json::error_handler_t::replace) +
           "\n";
}

}  // namespace

ControlServer::ControlServer(SnapshotFn snapshot, ProvisioningFn provisioning)
    : snapshot_(std::move(snapshot)), provisioning_(std::move(provisioning)) {}

ControlServer::~ControlServer() {
    stop();
}

std::optional<std::string> ControlServer::start(const std::filesystem::path& path) {
    if (listen_fd_ >= 0)
        return "the control socket is already open";
    const auto address = unix_address(path);
    if (!address)
        return "control socket path '" + path.string() + "' is empty or too long";
    path_ = path;

    listen_fd_ = activated_socket(path);
    socket_activated_ = listen_fd_ >= 0;
    if (!socket_activated_) {
        struct stat info {};
        if (::lstat(path.c_str(), &info) == 0) {
            if (!S_ISSOCK(info.st_mode))
                return path.string() + " exists and is not a socket: not replacing it";
            if (socket_is_live(*address))
                return "another process is serving " + path.string() +
                       " (is hubgate already running?)";
            ::unlink(path.c_str());  // stale: its daemon is gone
        }
        listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (listen_fd_ < 0)
            return "cannot create the control socket: " + errno_text(errno);
        if (::bind(listen_fd_, reinterpret_cast<const sockaddr*>(&*address), sizeof *address) !=
                0 ||
            ::chmod(path.c_str(), 0660) != 0 || ::listen(listen_fd_, 16) != 0) {
            std::string why = errno_text(errno);
            ::close(listen_fd_);
            listen_fd_ = -1;
            return "cannot listen on " + path.string() + ": " + why;
        }
    }
    wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake_fd_ < 0) {
        std::string why = errno_text(errno);
        stop();
        return "cannot create an eventfd: " + why;
    }
    thread_ = std::thread([this] { serve(); });
    return std::nullopt;
}

void ControlServer::stop() {
    if (thread_.joinable()) {
        const std::uint64_t one = 1;
        [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
        thread_.join();
    }
    if (wake_fd_ >= 0) {
        ::close(wake_fd_);
        wake_fd_ = -1;
    }
    if (listen_fd_ >= 0) {
        ::close(listen_fd_);
        listen_fd_ = -1;
        // A socket systemd made stays: it belongs to hubgate.socket and outlives restarts.
        if (!socket_activated_)
            ::unlink(path_.c_str());
    }
}

void ControlServer::serve() {
    while (true) {
        pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
        if (::poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            spdlog::error("control socket: poll failed: {}", errno_text(errno));
            return;
        }
        if (fds[1].revents != 0)
            return;
        if (fds[0].revents == 0)
            continue;
        int connection = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (connection < 0) {
            if (errno != EINTR && errno != EAGAIN && errno != ECONNABORTED)
                spdlog::warn("control socket: accept failed: {}", errno_text(errno));
            continue;
        }
        answer(connection);
        ::close(connection);
    }
}

void ControlServer::answer(int connection) {
    ::setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &kIoTimeout, sizeof kIoTimeout);
    ::setsockopt(connection, SOL_SOCKET, SO_SNDTIMEO, &kIoTimeout, sizeof kIoTimeout);
    std::string request;
    char buffer[kMaxRequest];
    while (request.find('\n') == std::string::npos && request.size() < kMaxRequest) {
        ssize_t n = ::recv(connection, buffer, sizeof buffer, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;  // closed, or silent past the timeout
        request.append(buffer, static_cast<std::size_t>(n));
    }
    const auto end = request.find('\n');
    if (end == std::string::npos) {
        send_all(connection, error_answer("expected one request line, e.g. \"status\""));
        return;
    }
    request.resize(end);
    const std::string_view device_prefix = kDeviceRequestPrefix;
    const bool device_request = request.starts_with(device_prefix);
    for (const std::string_view prefix : {kProvisionRequestPrefix, kProvisioningRequestPrefix}) {
        if (request.starts_with(prefix)) {
            send_all(connection, provisioning_answer(request.substr(prefix.size()),
                                                     prefix == kProvisionRequestPrefix));
            return;
        }
    }
    if (request != "status" && !device_request) {
        send_all(connection, error_answer("unknown request; they are \"status\", \"device ID\", "
                                          "\"provision ID\" and \"provisioning ID\""));
        return;
    }
    try {
        nlohmann::ordered_json json;
        if (device_request) {
            const std::string id = request.substr(device_prefix.size());
            const auto snapshot = snapshot_();
            const auto found =
                std::find_if(snapshot.sessions.begin(), snapshot.sessions.end(),
                             [&](const SessionStatus& s) { return s.device_id == id; });
            if (found == snapshot.sessions.end()) {
                send_all(connection,
                         error_answer("no device '" + id +
                                      "' here: it has no session and nothing in the spool"));
                return;
            }
            json = to_device_json(*found);
        } else {
            json = to_json(snapshot_());
        }
        // Device ids and reasons come from outside: replace invalid UTF-8 rather than fail.
        send_all(connection,
                 json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
    } catch (const std::exception& e) {
        spdlog::warn("control socket: snapshot failed: {}", e.what());
        send_all(connection, error_answer(std::string("snapshot failed: ") + e.what()));
    }
}

std::string ControlServer::provisioning_answer(const std::string& device_id, bool register_again) {
    if (!provisioning_)
        return error_answer(
            "this daemon does not provision devices ([provisioning] mode is \"none\")");
    try {
        const auto answer = provisioning_(device_id, register_again);
        if (!answer.device)
            return error_answer(answer.error);
        return to_provisioning_json(*answer.device)
                   .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
               "\n";
    } catch (const std::exception& e) {
        spdlog::warn("control socket: provisioning request failed: {}", e.what());
        return error_answer(std::string("provisioning request failed: ") + e.what());
    }
}

}  // namespace hubgate::control
