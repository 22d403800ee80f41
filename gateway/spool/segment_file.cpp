#include "gateway/spool/segment_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace hubgate::spool {
namespace {

std::string describe(const char* what, const std::filesystem::path& path) {
    return std::string(what) + " " + path.string() + ": " + std::strerror(errno);
}

}  // namespace

SegmentFile::SegmentFile(std::filesystem::path path, int fd, std::uint64_t size, FaultHook fault)
    : path_(std::move(path)), fd_(fd), size_(size), fault_(std::move(fault)) {}

SegmentFile::SegmentFile(SegmentFile&& other) noexcept
    : path_(std::move(other.path_)),
      fd_(std::exchange(other.fd_, -1)),
      size_(std::exchange(other.size_, 0)),
      fault_(std::move(other.fault_)),
      last_errno_(other.last_errno_) {}

SegmentFile& SegmentFile::operator=(SegmentFile&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) {
            ::close(fd_);
        }
        path_ = std::move(other.path_);
        fd_ = std::exchange(other.fd_, -1);
        size_ = std::exchange(other.size_, 0);
        fault_ = std::move(other.fault_);
        last_errno_ = other.last_errno_;
    }
    return *this;
}

SegmentFile::~SegmentFile() {
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

std::optional<SegmentFile> SegmentFile::create(const std::filesystem::path& path,
                                               std::string& error, FaultHook fault) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        error = describe("cannot create", path);
        return std::nullopt;
    }
    SegmentFile file(path, fd, 0, std::move(fault));
    if (!sync_directory(path.parent_path(), error)) {
        return std::nullopt;
    }
    return file;
}

std::optional<SegmentFile> SegmentFile::open(const std::filesystem::path& path, std::string& error,
                                             FaultHook fault) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        error = describe("cannot open", path);
        return std::nullopt;
    }
    struct stat info {};
    if (::fstat(fd, &info) != 0) {
        error = describe("cannot stat", path);
        ::close(fd);
        return std::nullopt;
    }
    return SegmentFile(path, fd, static_cast<std::uint64_t>(info.st_size), std::move(fault));
}

bool SegmentFile::append(std::string_view bytes, std::string& error) {
    std::size_t written = 0;
    while (written < bytes.size()) {
        ssize_t n = -1;
        if (const int fault = injected(FileOp::write); fault != 0) {
            errno = fault;
        } else {
            n = ::pwrite(fd_, bytes.data() + written, bytes.size() - written,
                         static_cast<off_t>(size_ + written));
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            last_errno_ = n < 0 ? errno : ENOSPC;  // a write of nothing: no room for more
            errno = last_errno_;
            error = describe("cannot write", path_);
            // Leave no partial record behind; recovery would cut it anyway.
            if (::ftruncate(fd_, static_cast<off_t>(size_)) != 0) {
                error += " (and cannot cut back the partial write)";
            }
            return false;
        }
        written += static_cast<std::size_t>(n);
    }
    size_ += bytes.size();
    return true;
}

bool SegmentFile::read(std::uint64_t offset, std::size_t length, std::string& out,
                       std::string& error) const {
    out.resize(length);
    std::size_t done = 0;
    while (done < length) {
        const ssize_t n =
            ::pread(fd_, out.data() + done, length - done, static_cast<off_t>(offset + done));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            error = describe("cannot read", path_);
            return false;
        }
        if (n == 0) {
            error = "unexpected end of " + path_.string();
            return false;
        }
        done += static_cast<std::size_t>(n);
    }
    return true;
}

bool SegmentFile::read_all(std::string& out, std::string& error) const {
    return read(0, static_cast<std::size_t>(size_), out, error);
}

bool SegmentFile::sync(std::string& error) {
    const int fault = injected(FileOp::sync);
    if (fault != 0 || ::fdatasync(fd_) != 0) {
        last_errno_ = fault != 0 ? fault : errno;
        errno = last_errno_;
        error = describe("cannot sync", path_);
        return false;
    }
    return true;
}

std::optional<SegmentFile> SegmentFile::duplicate(std::string& error) const {
    const int fd = ::fcntl(fd_, F_DUPFD_CLOEXEC, 0);
    if (fd < 0) {
        error = describe("cannot duplicate the descriptor of", path_);
        return std::nullopt;
    }
    return SegmentFile(path_, fd, size_, fault_);
}

bool SegmentFile::truncate(std::uint64_t size, std::string& error) {
    if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) {
        error = describe("cannot truncate", path_);
        return false;
    }
    size_ = size;
    return true;
}

bool SegmentFile::reserve(std::uint64_t bytes) {
    return ::fallocate(fd_, FALLOC_FL_KEEP_SIZE, 0, static_cast<off_t>(bytes)) == 0;
}

bool sync_directory(const std::filesystem::path& dir, std::string& error) {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        error = describe("cannot open directory", dir);
        return false;
    }
    const bool ok = ::fsync(fd) == 0;
    if (!ok) {
        error = describe("cannot sync directory", dir);
    }
    ::close(fd);
    return ok;
}

}  // namespace hubgate::spool
