#include "gateway/core/atomic_file.hpp"

#include "gateway/trace/latency_trace.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace hubgate::core {

namespace {

std::string describe(const char* what, const std::filesystem::path& path) {
    return std::string(what) + " " + path.string() + ": " + std::strerror(errno);
}

bool write_all(int fd, std::string_view content) {
    while (!content.empty()) {
        const ssize_t n = ::write(fd, content.data(), content.size());
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return false;
        }
        content.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

}  // namespace

bool replace_file_atomically(const std::filesystem::path& path, std::string_view content,
                             std::string& error) {
    HUBGATE_TRACE(trace::Point::atomic_write_start);
    const std::filesystem::path temporary = path.string() + ".tmp";
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        error = describe("cannot create", temporary);
        return false;
    }
    const bool written = write_all(fd, content) && ::fsync(fd) == 0;
    if (!written) {
        error = describe("cannot write", temporary);
    }
    ::close(fd);
    if (!written) {
        ::unlink(temporary.c_str());
        return false;
    }
    if (::rename(temporary.c_str(), path.c_str()) != 0) {
        error = describe("cannot rename over", path);
        ::unlink(temporary.c_str());
        return false;
    }
    const std::filesystem::path folder = path.has_parent_path() ? path.parent_path() : ".";
    const int dir_fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd >= 0) {
        // Without this the rename itself may not survive a power loss.
        ::fsync(dir_fd);
        ::close(dir_fd);
    }
    HUBGATE_TRACE(trace::Point::atomic_write_end);
    return true;
}

}  // namespace hubgate::core
