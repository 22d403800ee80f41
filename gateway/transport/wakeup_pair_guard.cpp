#include "gateway/transport/wakeup_pair_guard.hpp"

#include <dlfcn.h>
#include <sys/socket.h>

#include <cerrno>

namespace hubgate::transport {

namespace {
thread_local int refusing = 0;
}  // namespace

WakeupPairGuard::WakeupPairGuard() {
    ++refusing;
}

WakeupPairGuard::~WakeupPairGuard() {
    --refusing;
}

}  // namespace hubgate::transport

// Interposes the C library's socketpair() for the whole process (the executable's definition
// comes first in symbol lookup); see wakeup_pair_guard.hpp for why.
extern "C" int socketpair(int domain, int type, int protocol, int fds[2]) noexcept {
    if (hubgate::transport::refusing > 0) {
        errno = EMFILE;
        return -1;
    }
    using Next = int (*)(int, int, int, int*);
    static const auto next = reinterpret_cast<Next>(::dlsym(RTLD_NEXT, "socketpair"));
    if (next == nullptr) {
        errno = ENOSYS;
        return -1;
    }
    return next(domain, type, protocol, fds);
}
