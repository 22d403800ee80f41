#include "spool_disk.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace hubgate::chaos {

namespace {

// A name no spool file has (the spool holds *.seg, acks.log, clock, sources.log, lock, damaged/).
constexpr const char* kFiller = "chaos-disk-filler";

std::string errno_text(const char* what) {
    return std::string(what) + ": " + std::strerror(errno);
}

// Appends `chunk`-sized blocks until the kernel says ENOSPC (or another error).
void write_until_full(int fd, std::size_t chunk) {
    const std::vector<char> zeros(chunk, 0);
    while (::write(fd, zeros.data(), zeros.size()) > 0) {
    }
}

}  // namespace

bool enter_private_mount_namespace(std::string& why) {
    if (::unshare(CLONE_NEWNS) != 0) {
        why = errno_text("unshare(CLONE_NEWNS)");
        return false;
    }
    // Mounts made from here on must not propagate back to the host's namespace.
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
        why = errno_text("making mounts private");
        return false;
    }
    return true;
}

std::unique_ptr<SpoolDisk> SpoolDisk::mount(const std::filesystem::path& dir, std::uint64_t bytes,
                                            std::string& why) {
    std::error_code error;
    std::filesystem::create_directories(dir, error);
    const auto options = "size=" + std::to_string(bytes) + ",mode=0700";
    if (::mount("tmpfs", dir.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options.c_str()) != 0) {
        why = errno_text("mount -t tmpfs");
        return nullptr;
    }
    return std::unique_ptr<SpoolDisk>(new SpoolDisk(dir));
}

SpoolDisk::~SpoolDisk() {
    release();
    ::umount2(dir_.c_str(), MNT_DETACH);
}

void SpoolDisk::fill() {
    const auto path = dir_ / kFiller;
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) {
        return;  // the directory is full of inodes too: full enough
    }
    write_until_full(fd, 1 << 20);
    write_until_full(fd, 4096);  // the last pages
    ::close(fd);
}

void SpoolDisk::release() {
    ::unlink((dir_ / kFiller).c_str());
}

std::uint64_t SpoolDisk::free_bytes() const {
    struct statvfs info {};
    if (::statvfs(dir_.c_str(), &info) != 0) {
        return 0;
    }
    return std::uint64_t{info.f_bavail} * info.f_frsize;
}

}  // namespace hubgate::chaos
