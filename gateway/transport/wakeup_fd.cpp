#include "gateway/transport/wakeup_fd.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <system_error>

namespace hubgate::transport {

WakeupFd::WakeupFd() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
    if (fd_ < 0) {
        throw std::system_error(errno, std::generic_category(), "eventfd");
    }
}

WakeupFd::~WakeupFd() {
    ::close(fd_);
}

void WakeupFd::signal() {
    const std::uint64_t one = 1;
    // Only fails when the counter is saturated, and then a wakeup is pending anyway.
    [[maybe_unused]] const auto ignored = ::write(fd_, &one, sizeof one);
}

void WakeupFd::drain() {
    std::uint64_t count = 0;
    [[maybe_unused]] const auto ignored = ::read(fd_, &count, sizeof count);
}

}  // namespace hubgate::transport
