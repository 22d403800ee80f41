#include "gateway/core/hooks_marker.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>

namespace hubgate::core {

namespace {

// Version 2: one record per thread (version 1 had one record; a file of it reads as empty).
constexpr char kMagic[8] = {'h', 'g', 'h', 'o', 'o', 'k', 's', '2'};
constexpr std::size_t kFileSize = 4096;  // one page

// Copies `text` into a fixed field, cut to fit; returns the length kept.
template <std::size_t N>
std::uint32_t put(char (&field)[N], std::string_view text) {
    const auto size = std::min(text.size(), N);
    std::memcpy(field, text.data(), size);
    return static_cast<std::uint32_t>(size);
}

}  // namespace

// One slot's layout. `in_hooks` is written last on entry (and alone on leave), so a reader never
// takes a half-written record for a live one.
struct HooksMarker::Record {
    std::uint32_t in_hooks;
    std::uint32_t plugin_size;
    std::uint64_t digest;
    std::uint32_t hook_size;
    char hook[32];
    char plugin[256];
};

struct HooksMarker::Page {
    char magic[8];
    Record slots[kSlots];
};

std::unique_ptr<HooksMarker> HooksMarker::open(const std::filesystem::path& path,
                                               std::vector<LeftInHooks>& left, std::string& error) {
    static_assert(sizeof(Page) <= kFileSize);
    left.clear();
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        error = "cannot open " + path.string() + ": " + std::strerror(errno);
        return nullptr;
    }
    // A new file (or one cut short) is extended with zeros: no magic, so nothing was in hooks.
    if (::ftruncate(fd, kFileSize) != 0) {
        error = "cannot size " + path.string() + ": " + std::strerror(errno);
        ::close(fd);
        return nullptr;
    }
    void* mapped = ::mmap(nullptr, kFileSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (mapped == MAP_FAILED) {
        error = "cannot map " + path.string() + ": " + std::strerror(errno);
        ::close(fd);
        return nullptr;
    }
    auto* page = static_cast<Page*>(mapped);
    if (std::memcmp(page->magic, kMagic, sizeof kMagic) == 0) {
        for (const Record& record : page->slots) {
            if (record.in_hooks == 0) {
                continue;
            }
            LeftInHooks found;
            found.digest = record.digest;
            found.plugin.assign(record.plugin,
                                std::min<std::size_t>(record.plugin_size, sizeof record.plugin));
            found.hook.assign(record.hook,
                              std::min<std::size_t>(record.hook_size, sizeof record.hook));
            left.push_back(std::move(found));
        }
    }
    std::unique_ptr<HooksMarker> marker(new HooksMarker(fd, page));
    std::memcpy(page->magic, kMagic, sizeof kMagic);
    for (std::size_t slot = 0; slot < kSlots; ++slot) {
        marker->leave(slot);
    }
    return marker;
}

HooksMarker::~HooksMarker() {
    ::munmap(page_, kFileSize);
    ::close(fd_);
}

void HooksMarker::enter(std::size_t slot, std::uint64_t digest, std::string_view plugin,
                        std::string_view hook) {
    Record& record = page_->slots[slot];
    record.in_hooks = 0;
    std::atomic_signal_fence(std::memory_order_seq_cst);
    record.digest = digest;
    record.plugin_size = put(record.plugin, plugin);
    record.hook_size = put(record.hook, hook);
    std::atomic_signal_fence(std::memory_order_seq_cst);
    record.in_hooks = 1;
    // The plugin is called next: these stores must not sink past the call.
    std::atomic_signal_fence(std::memory_order_seq_cst);
}

void HooksMarker::leave(std::size_t slot) {
    page_->slots[slot].in_hooks = 0;
    std::atomic_signal_fence(std::memory_order_seq_cst);
}

}  // namespace hubgate::core
