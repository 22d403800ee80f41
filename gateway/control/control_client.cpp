#include "gateway/control/control_client.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "gateway/control/control_server.hpp"

namespace hubgate::control {
namespace {

// Closes the socket on every return path.
struct FdCloser {
    int fd;
    ~FdCloser() {
        if (fd >= 0)
            ::close(fd);
    }
};

StatusReply fail(StatusReply::Outcome outcome, std::string error) {
    StatusReply reply;
    reply.outcome = outcome;
    reply.error = std::move(error);
    return reply;
}

StatusReply exchange(const std::filesystem::path& path, const std::string& request,
                     std::chrono::milliseconds timeout) {
    using Outcome = StatusReply::Outcome;
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (path.native().empty() || path.native().size() >= sizeof(address.sun_path))
        return fail(Outcome::Failed, "control socket path '" + path.string() + "' is too long");
    std::memcpy(address.sun_path, path.c_str(), path.native().size() + 1);

    FdCloser socket{::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)};
    if (socket.fd < 0)
        return fail(Outcome::Failed,
                    std::string("cannot create a socket: ") + std::strerror(errno));
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(timeout);
    const timeval tv{static_cast<time_t>(seconds.count()),
                     static_cast<suseconds_t>((timeout - seconds).count() * 1000)};
    ::setsockopt(socket.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(socket.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);

    if (::connect(socket.fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
        const int error = errno;
        const std::string why = "cannot connect to " + path.string() + ": " + std::strerror(error);
        if (error == ENOENT || error == ECONNREFUSED)
            return fail(Outcome::NotRunning, why + " (is the hubgate service running?)");
        if (error == EACCES || error == EPERM)
            return fail(Outcome::Denied,
                        why + " (members of group hubgate and root may ask for the status)");
        return fail(Outcome::Failed, why);
    }
    if (::send(socket.fd, request.data(), request.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(request.size()))
        return fail(Outcome::Failed,
                    std::string("cannot send the request: ") + std::strerror(errno));

    std::string answer;
    char buffer[65536];
    while (true) {
        ssize_t n = ::recv(socket.fd, buffer, sizeof buffer, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return fail(Outcome::Failed,
                        std::string("no answer from the daemon: ") + std::strerror(errno));
        if (n == 0)
            break;
        answer.append(buffer, static_cast<std::size_t>(n));
    }
    StatusReply reply;
    reply.json = nlohmann::ordered_json::parse(answer, nullptr, false);
    if (reply.json.is_discarded() || !reply.json.is_object())
        return fail(Outcome::Failed, "the daemon's answer is not a JSON object");
    if (reply.json.contains("error"))
        return fail(Outcome::Failed, "the daemon answered: " + reply.json["error"].dump());
    reply.outcome = Outcome::Ok;
    return reply;
}

}  // namespace

StatusReply request_status(const std::filesystem::path& path, std::chrono::milliseconds timeout) {
    return exchange(path, kStatusRequest, timeout);
}

namespace {

bool one_line(const std::string& device_id) {
    // A line feed would end the request early and let the rest pass for another one.
    return !device_id.empty() && device_id.find_first_of("\r\n") == std::string::npos;
}

}  // namespace

StatusReply request_device(const std::filesystem::path& path, const std::string& device_id,
                           std::chrono::milliseconds timeout) {
    if (!one_line(device_id))
        return fail(StatusReply::Outcome::Failed, "a device id is one non-empty line");
    return exchange(path, kDeviceRequestPrefix + device_id + "\n", timeout);
}

StatusReply request_provisioning(const std::filesystem::path& path, const std::string& device_id,
                                 bool register_again, std::chrono::milliseconds timeout) {
    if (!one_line(device_id))
        return fail(StatusReply::Outcome::Failed, "a device id is one non-empty line");
    const std::string prefix =
        register_again ? kProvisionRequestPrefix : kProvisioningRequestPrefix;
    return exchange(path, prefix + device_id + "\n", timeout);
}

}  // namespace hubgate::control
