#pragma once
// The C2D journal: every cloud-to-device message from before the hub gets its PUBACK until the
// local broker has acknowledged the local publish, so that a crash in between (kill -9, a power
// loss) does not lose it: after a restart, what is left is published again, in order.
//
// One append-only file of format 1 spool records (spool::record::Format1Record, CRC'd):
//   kind "c2d":  seq = the ticket, device, topic = the hub's topic (it carries the message's
//                properties), payload. keep() appends it and fdatasyncs before it returns, and
//                the hub's PUBACK waits for that (session/c2d_keeper.hpp).
//   kind "done": seq = a ticket whose message was published (or dropped on purpose). Appended
//                without a sync: losing one in a crash only means that message is published
//                once more, which at-least-once allows.
// When nothing is outstanding and the file has grown past 64 KiB it is cut back to empty; a
// large file of mostly finished records is rewritten with the outstanding ones (write, fsync,
// rename), and so is every file at open(), which also drops a torn tail. A damaged record is
// skipped (scanning on to the next valid one) and the damaged file is kept aside as
// <file>.damaged for inspection.
//
// Thread-safe: keep() runs on the upstream I/O thread, done() on the local link's, release() on
// the session manager's.

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "gateway/session/c2d_keeper.hpp"
#include "gateway/spool/segment_file.hpp"

namespace hubgate::core {

class DownlinkJournal final : public session::C2dKeeper {
  public:
    // One C2D message that was kept and not yet published.
    struct Entry {
        std::uint64_t ticket = 0;
        std::string device_id;
        std::string topic;  // the hub's topic, with the property bag
        std::string payload;
    };
    // What open() found.
    struct Recovered {
        std::vector<Entry> outstanding;     // in the order they were kept
        std::uint64_t damaged_records = 0;  // skipped: bad checksum or undecodable
        std::uint64_t skipped_bytes = 0;    // damaged or torn bytes left out
    };
    struct Counters {
        std::atomic<std::uint64_t> kept{0};
        std::atomic<std::uint64_t> published{0};
        std::atomic<std::uint64_t> released{0};
        std::atomic<std::uint64_t> keep_failures{0};  // the hub will deliver those again
        std::atomic<std::uint64_t> write_errors{0};   // "done" records or compactions
    };

    // Opens (or creates) the journal at `path` and compacts it to what is outstanding.
    static std::unique_ptr<DownlinkJournal> open(const std::filesystem::path& path,
                                                 Recovered& recovered, std::string& error);

    // C2dKeeper: append + fdatasync. nullopt when the disk refused (logged, counted).
    std::optional<std::uint64_t> keep(const std::string& device_id, const std::string& topic,
                                      const std::string& payload) override;
    void release(std::uint64_t ticket) override;
    // The local broker acknowledged the message kept under `ticket`.
    void published(std::uint64_t ticket);

    std::size_t outstanding() const;
    std::uint64_t file_size() const;
    const Counters& counters() const { return counters_; }

  private:
    DownlinkJournal(std::filesystem::path path, spool::SegmentFile file,
                    std::map<std::uint64_t, Entry> outstanding, std::uint64_t next_ticket);
    // False when `ticket` is not outstanding.
    bool finish(std::uint64_t ticket);
    // Cuts a large file back to empty when nothing is outstanding, or rewrites it when
    // finished records make up most of a large file.
    void compact_locked();

    const std::filesystem::path path_;
    mutable std::mutex mutex_;
    spool::SegmentFile file_;                     // guarded by mutex_
    std::map<std::uint64_t, Entry> outstanding_;  // guarded by mutex_; by ticket = kept order
    std::uint64_t next_ticket_;                   // guarded by mutex_
    std::uint64_t outstanding_bytes_ = 0;         // guarded by mutex_: their records' size
    Counters counters_;
};

}  // namespace hubgate::core
