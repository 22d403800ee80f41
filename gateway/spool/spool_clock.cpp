#include "gateway/spool/spool_clock.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "gateway/spool/crc32.hpp"
#include "gateway/spool/little_endian.hpp"

namespace hubgate::spool {
namespace {

// The file: the value (i64, little endian) and the crc32 of those 8 bytes.
constexpr std::size_t kValueSize = 8;
constexpr std::size_t kFileSize = kValueSize + 4;

}  // namespace

SpoolClock::SpoolClock(std::filesystem::path file, WallSource wall, MonotonicSource monotonic)
    : file_(std::move(file)), wall_(std::move(wall)), monotonic_(std::move(monotonic)) {}

void SpoolClock::start(std::optional<std::int64_t> newest_stamp_ms) {
    std::optional<std::int64_t> base = load();
    if (newest_stamp_ms) {
        base = std::max(base.value_or(*newest_stamp_ms), *newest_stamp_ms);
    }
    if (!base) {
        base = std::chrono::duration_cast<std::chrono::milliseconds>(wall_().time_since_epoch())
                   .count();
    }
    base_ms_ = *base;
    started_ = monotonic_();
}

std::int64_t SpoolClock::now_ms() const {
    if (!started_) {
        return base_ms_;
    }
    const auto ran =
        std::chrono::duration_cast<std::chrono::milliseconds>(monotonic_() - *started_);
    return base_ms_ + ran.count();
}

std::optional<std::int64_t> SpoolClock::load() const {
    const int fd = ::open(file_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return std::nullopt;
    }
    char bytes[kFileSize];
    const ssize_t n = ::pread(fd, bytes, sizeof bytes, 0);
    ::close(fd);
    if (n != static_cast<ssize_t>(kFileSize) ||
        load_le(bytes + kValueSize, 4) != crc32(std::string_view(bytes, kValueSize))) {
        return std::nullopt;
    }
    return static_cast<std::int64_t>(load_le(bytes, kValueSize));
}

bool SpoolClock::save(std::string& error) const {
    if (!started_) {
        return true;  // nothing measured yet: keep what the file holds
    }
    char bytes[kFileSize];
    store_le(bytes, static_cast<std::uint64_t>(now_ms()), kValueSize);
    store_le(bytes + kValueSize, crc32(std::string_view(bytes, kValueSize)), 4);
    const int fd = ::open(file_.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        error = "cannot open " + file_.string() + ": " + std::strerror(errno);
        return false;
    }
    // 12 bytes at offset 0 of one block: written whole or not at all, and checked by the crc.
    const bool written = ::pwrite(fd, bytes, sizeof bytes, 0) == static_cast<ssize_t>(kFileSize);
    if (!written) {
        error = "cannot write " + file_.string() + ": " + std::strerror(errno);
    }
    ::close(fd);
    return written;
}

}  // namespace hubgate::spool
