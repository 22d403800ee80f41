#pragma once
// The durable spool between the local link and the device sessions.
//
// Every message the local link takes from the local broker is appended here before the broker is
// told it was delivered (see local_link.hpp), and leaves only when the hub acknowledged it (or it
// outlived the TTL). Files in `dir`:
//   <id>.seg   append-only segments of records (record_codec.hpp), a new one per process start
//              and whenever the current one reaches segment_bytes; deleted (by tidy()) once
//              every record in it is finished (acknowledged or dropped);
//   acks.log   sequence numbers of finished records (ack_log.hpp);
//   clock      the last value of the clock message age is measured on (spool_clock.hpp);
//   damaged/   copies of segments recovery found damaged, kept for inspection;
//   sources.log where the recent messages came from (source_log.hpp), to recognise a local
//              redelivery even after its record was acknowledged and its segment deleted;
//   lock       flock()ed while a process owns the directory.
// Recovery (open) scans every segment and checks each record (magic, length, CRC, fields). At a
// damaged record it searches forward for the next intact one (magic + CRC, and a seq after the
// last good one) and goes on from there, so damage in the middle of a file costs only the damaged
// records; the file is copied to damaged/, the skipped bytes counted and logged once per file.
// A damaged end of the newest segment with nothing intact after it is a torn tail (the process
// died mid-write; nothing in it was acknowledged) and is cut off. Records named in acks.log are
// dropped. A message may therefore be sent twice after a crash, always with the $.mid it got at
// append.
//
// Failed syncs: Linux reports a write-back error once and may drop the pages it could not write,
// so a later fdatasync of the same file can succeed although earlier data never reached the disk.
// A failed commit() therefore gives up every record appended since the last good commit, also
// those appended while it ran (the local broker still has them all, unacknowledged), seals the
// segment, and stores their redeliveries anew instead of matching them to the copies it gave up.
// A full disk (ENOSPC) makes append() answer `full` and has_room() false until free space
// returns (checked at most once a second), so the local link stops reading and the broker keeps
// the messages; logged once per episode and counted.
//
// Draining: per device, in append order, at most `window` unacknowledged messages handed out at a
// time; devices are independent. Thread-safe (one mutex), with two rules: append() is always
// called from the same thread (the local link thread), and commit() from one thread at a time
// (the link's syncer, while the link appends on: a commit covers what was appended before it
// began); take/ack/requeue/expire/tidy from any. No disk wait happens under the lock, which every
// append, take and ack needs: commit() syncs without it (through a second descriptor of the
// active segment, and the tail of a segment sealed since the last commit), and tidy() deletes
// finished segments and compacts acks.log without it. Deleting a 16 MiB segment took 9-17 ms
// here, and under the lock it held up every session that long.

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "gateway/spool/ack_log.hpp"
#include "gateway/spool/message_id.hpp"
#include "gateway/spool/recent_sources.hpp"
#include "gateway/spool/segment_file.hpp"
#include "gateway/spool/source_log.hpp"
#include "gateway/spool/spool_clock.hpp"
#include "gateway/spool/spool_counters.hpp"
#include "gateway/spool/spool_message.hpp"
#include "gateway/spool/spool_options.hpp"

namespace hubgate::spool {

enum class AppendStatus {
    ok,
    full,       // no room under max_bytes: stop taking messages until acks free space
    too_large,  // the record alone exceeds max_record_bytes: reject this message for good
    io_error,   // the write (or sync) failed: the message is not stored
};

std::string_view to_string(AppendStatus status);

// Outcome of Spool::append: on ok, the handle (seq) and the message id assigned.
struct AppendResult {
    AppendStatus status = AppendStatus::io_error;
    std::uint64_t seq = 0;
    MessageIdText mid;  // in place: answering with a copy of the id cost an allocation per message
    // The local broker redelivered a message the spool already has (same source packet id and
    // content): nothing new was stored; seq and mid are the original's.
    bool redelivery = false;
};

// One device's messages in the spool not yet finished (waiting or in flight).
struct DeviceBacklog {
    std::string device_id;
    std::size_t messages = 0;
    std::uint64_t bytes = 0;  // their record sizes in the segments
};

// A crash-safe, bounded, per-device ordered message store (see the top of this file).
class Spool {
  public:
    // Opens or creates the spool in options.dir and recovers what it holds.
    static std::unique_ptr<Spool> open(SpoolOptions options, std::string& error);
    ~Spool();
    Spool(const Spool&) = delete;
    Spool& operator=(const Spool&) = delete;

    // Stores one message, assigning its seq and $.mid; the message is moved in (kept in memory
    // for take() when the budget allows, never copied). On `ok` the record has been written
    // (and, with SyncMode::always, synced); with SyncMode::batch call commit() before telling the
    // sender the message is safe. A message whose `source` matches one stored recently (also by
    // the previous process) is a redelivery: `ok` with the original seq and mid, not stored again.
    AppendResult append(SpoolMessage&& message);
    // A local message with this packet id was taken and not stored (ignored, refused, a method
    // reply): a stored message remembered under the same id is from an earlier cycle of ids and
    // must not match a later one with the same content. Not written to sources.log.
    void pass_source(std::uint32_t packet_id);
    // The local broker started a new session (its packet ids restart): stop matching sources.
    // Empties sources.log too (a file write and sync: call it where that may wait).
    void forget_recent_sources();
    // Syncs what append() wrote since the last commit, before this call. False on an I/O error:
    // the caller must not acknowledge those messages to their sender, nor any appended while
    // this ran, and the spool has given them all up (their redeliveries are stored anew; see
    // the top of this file).
    bool commit();
    // True while at least one record of max_record_bytes still fits and the disk is not full:
    // the local link reads from the broker only while this holds, so append() rarely has to
    // answer `full`. After a full disk it checks (at most once a second) whether space returned.
    bool has_room() const;

    // Hands out the device's next messages, oldest first, up to the window minus what is already
    // out; marks them in flight. Messages past the TTL are dropped (and counted) on the way.
    std::vector<SpooledMessage> take(std::string_view device_id);
    // The same, appended to `out`: a caller that keeps one vector takes without allocating.
    void take(std::string_view device_id, std::vector<SpooledMessage>& out);
    // Past the window: hands out the device's next waiting messages while they are of `kind`, up
    // to `limit`, and marks them in flight like take() does. For a caller that sends such a run
    // upstream as one message (reported patches merged into one PATCH), so that the window
    // counts what goes upstream, not the records behind it.
    std::vector<SpooledMessage> take_run(std::string_view device_id, RecordKind kind,
                                         std::size_t limit);
    // The hub acknowledged `seq`: the message is finished. False if it is not in flight.
    // Recorded in memory; write_acks() puts it in acks.log.
    bool ack(std::string_view device_id, std::uint64_t seq);
    // Writes the acks (and TTL drops) recorded since the last call to acks.log, in one write.
    // Call it after a batch of ack()s; tidy() and the destructor call it too. An ack that never
    // reached the file only means a duplicate after a crash, which at-least-once allows.
    void write_acks();
    // The device's session went away: its in-flight messages are handed out again by take().
    void requeue(std::string_view device_id);
    // Drops waiting messages past the TTL for every device (housekeeping); returns how many.
    std::size_t expire();

    // Deletes the files of finished segments and compacts acks.log when it is mostly dead
    // entries, and saves the age clock: disk work kept off the threads that append, take and ack.
    // Call it about once a second from a thread that may wait for the disk (the daemon:
    // housekeeping); any thread.
    void tidy();

    // Devices that have messages waiting to be taken (e.g. recovered at open).
    std::vector<std::string> devices_with_backlog() const;
    // Messages of the device not yet finished (waiting or in flight).
    std::size_t backlog(std::string_view device_id) const;
    // Every device with unfinished messages, by device id. O(devices): kept up to date by
    // append and finish, so a status request or a scrape does not walk the records.
    std::vector<DeviceBacklog> backlogs() const;

    const SpoolCounters& counters() const { return counters_; }
    const SpoolOptions& options() const { return options_; }

  private:
    enum class EntryState : std::uint8_t { waiting, in_flight, done };
    // Where a record lives and how far it got; kept in memory for every unfinished record.
    struct Entry {
        std::uint64_t seq = 0;
        std::uint64_t segment = 0;
        std::uint64_t offset = 0;
        std::uint32_t size = 0;
        std::int64_t enqueued_ms = 0;
        EntryState state = EntryState::waiting;
        // The message itself while it waits, kept from append() within keep_in_memory_bytes, so
        // that take() need not read it back from the file; null once taken (or if not kept).
        std::unique_ptr<SpooledMessage> kept;
    };
    struct DeviceQueue {
        std::deque<Entry> entries;  // ordered by seq; finished ones are popped from the front
        std::size_t in_flight = 0;
        std::size_t unfinished = 0;          // entries not done (waiting or in flight)
        std::uint64_t unfinished_bytes = 0;  // their record sizes
    };
    struct Segment {
        SegmentFile file;
        std::uint64_t live = 0;                // records not yet finished
        std::vector<std::uint64_t> done_seqs;  // finished records, kept for ack-log rewrites
    };

    Spool(SpoolOptions options, AckLog ack_log, int lock_fd);
    // What recovery carries from one segment to the next.
    struct ScanState {
        std::vector<std::uint64_t> acked_sorted;
        std::uint64_t last_seq = 0;                   // of the last intact record
        std::optional<std::int64_t> newest_stamp_ms;  // latest enqueue stamp seen
    };
    bool recover(std::vector<std::uint64_t> acked, std::string& error);
    void scan_segment(std::uint64_t id, Segment& segment, bool newest, ScanState& scan);
    void add_recovered(std::uint64_t id, Segment& segment, std::uint64_t offset, std::uint64_t size,
                       SpooledMessage message, ScanState& scan);
    void keep_damaged_copy(const SegmentFile& file, std::uint64_t stretches, std::uint64_t skipped,
                           std::uint64_t intact_after);
    Segment* writable_segment(std::size_t record_size, std::string& error);
    bool expired(const Entry& entry, std::int64_t now_ms) const;
    std::optional<SpooledMessage> load(const Entry& entry, bool& io_failure);
    // Moves the entry's kept copy out (null if it has none) and frees its room in the budget.
    std::unique_ptr<SpooledMessage> take_kept(Entry& entry);
    void finish(DeviceQueue& queue, Entry& entry);
    // After a failed sync: gives up the unfinished records with seq in [first, end) and seals
    // the active segment.
    void give_up_unsynced(std::uint64_t first, std::uint64_t end);
    void seal_active();
    void disk_became_full(const std::string& error);
    // Whether a full disk has room again (at most one look per second).
    bool space_returned() const;
    void remove_segment(std::uint64_t id);
    void delete_retired_files(std::vector<std::filesystem::path> files);
    std::vector<std::uint64_t> acks_still_needed() const;
    void compact_ack_log(const std::vector<std::uint64_t>& still_needed);
    void write_failed(bool& failing, const std::string& error);
    void write_succeeded(bool& failing, std::string_view what);
    void pop_finished(std::map<std::string, DeviceQueue, std::less<>>::iterator device);
    // Recovery: merges sources.log into the window the segments gave and rewrites the log, so
    // that it holds the sources of the finished segments recovery is about to delete.
    void restore_recent_sources();
    // Writes the sources gathered since the last call to sources.log (rewriting it when it has
    // grown past twice the window); with `sync`, makes them durable (before segments go).
    void write_recent_sources(bool sync);
    std::int64_t now_ms() const;

    SpoolOptions options_;
    SpoolClock clock_;
    mutable std::mutex mutex_;
    AckLog ack_log_;
    int lock_fd_ = -1;
    std::map<std::uint64_t, Segment> segments_;
    std::optional<std::uint64_t> active_;  // the segment appends go to, once one was created
    std::uint64_t next_segment_id_ = 1;
    std::uint64_t next_seq_ = 1;
    std::uint64_t bytes_ = 0;
    std::uint64_t kept_bytes_ = 0;  // record sizes of the messages held in Entry::kept
    std::uint64_t done_in_live_segments_ = 0;
    bool unsynced_ = false;
    // The first seq appended since the last commit(): a failed sync gives up [it, next_seq_).
    std::uint64_t first_uncommitted_seq_ = 1;
    // Records given up after a failed sync: a redelivery of one of them is stored anew.
    std::unordered_set<std::uint64_t> given_up_;
    // Set by ENOSPC; cleared by has_room() once space returned (checked at the time below).
    mutable std::atomic<bool> disk_full_{false};
    mutable std::atomic<std::int64_t> next_space_check_ms_{0};
    bool clock_save_failed_ = false;  // tidy() logs a failing save once
    // Sealed segments whose tail the next commit() must still sync (second descriptors).
    std::vector<SegmentFile> sealed_unsynced_;
    // Finished segments: out of segments_, their files deleted by tidy().
    std::vector<std::filesystem::path> retired_files_;
    bool ack_compaction_due_ = false;
    // finish() recorded acks that write_acks() has not written yet.
    std::atomic<bool> acks_unwritten_{false};
    // A write that keeps failing (a full disk fails every attempt) is logged once until it
    // succeeds again, and counted every time: write_failed(), write_succeeded(). Each flag is
    // guarded by what serializes its write (mutex_, tidy_mutex_, sources_mutex_).
    bool acks_failing_ = false;
    bool compaction_failing_ = false;
    bool sources_failing_ = false;
    // While tidy() writes the compacted acks.log: the acks made meanwhile, which it adds.
    std::optional<std::vector<std::uint64_t>> acks_during_compaction_;
    std::mutex tidy_mutex_;  // one tidy() at a time
    std::map<std::string, DeviceQueue, std::less<>> devices_;
    // Emptied boxes of kept messages, reused by append(): a message kept and taken costs no
    // allocation of its own.
    std::vector<std::unique_ptr<SpooledMessage>> spare_boxes_;
    static constexpr std::size_t kMaxSpareBoxes = 256;
    RecentSources recent_{options_.recent_sources};
    // sources.log (set by open) and what it held at open, until recovery merged it.
    std::optional<SourceLog> source_log_;
    std::vector<RecentSources::Entry> logged_sources_;
    std::mutex sources_mutex_;  // one writer of sources.log at a time; taken before mutex_
    SpoolCounters counters_;
};

}  // namespace hubgate::spool
