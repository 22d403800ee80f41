#pragma once
// Settings of the spool (filled by the config module; defaults suit a small edge gateway).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>

#include "gateway/spool/fault_hook.hpp"

namespace hubgate::spool {

// When appended records are forced to stable storage (fdatasync).
//  - always: before append() returns.
//  - batch:  in commit(); the local link has commit() run (on its syncer thread) after each
//            read batch and releases the PUBACKs of that batch only when it succeeded, so the
//            local broker still never considers a message delivered before it is on disk, at
//            one fdatasync per batch.
// Either way every append that returned is in the page cache, so a killed process (kill -9)
// loses nothing; the sync policy only matters for power loss or a kernel crash.
enum class SyncMode { always, batch };

// Options of one spool directory.
struct SpoolOptions {
    std::filesystem::path dir;
    std::uint64_t max_bytes = std::uint64_t{1} << 30;         // all segment files together
    std::uint64_t segment_bytes = std::uint64_t{16} << 20;    // a segment is sealed at this size
    std::uint64_t max_record_bytes = std::uint64_t{1} << 20;  // larger messages are refused
    std::chrono::seconds ttl{std::chrono::hours{24 * 7}};     // 0 = keep until acknowledged
    std::size_t window = 8;  // unacknowledged messages handed out per device at a time
    SyncMode sync = SyncMode::batch;
    // Appended messages are also kept in memory, up to this many record bytes, until taken: the
    // usual take() then costs no read and no decode. 0 reads every message back from its file.
    std::uint64_t keep_in_memory_bytes = std::uint64_t{8} << 20;
    // How many of the latest stored messages are remembered by their local source (packet id
    // and digest), in memory and in sources.log, so that the local broker redelivering one of
    // them (it resends what it had not seen acknowledged) is not stored again under a new
    // $.mid. Must cover the messages taken but not yet acknowledged to the broker at a crash.
    std::size_t recent_sources = 65535;
    // Time sources of the clock message age is measured on (spool_clock.hpp): the wall clock
    // only seeds it in a new directory, the monotonic clock runs it. Tests inject fakes.
    std::function<std::chrono::system_clock::time_point()> clock = [] {
        return std::chrono::system_clock::now();
    };
    std::function<std::chrono::steady_clock::time_point()> monotonic = [] {
        return std::chrono::steady_clock::now();
    };
    // Tests only: makes disk operations fail (fault_hook.hpp).
    FaultHook fault{};
};

}  // namespace hubgate::spool
