#include "gateway/spool/spool.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <system_error>
#include <utility>

#include "gateway/spool/crc32.hpp"
#include "gateway/spool/message_id.hpp"
#include "gateway/spool/record_codec.hpp"
#include "gateway/trace/latency_trace.hpp"

namespace hubgate::spool {
namespace {

constexpr std::string_view kSegmentSuffix = ".seg";
// Recovery accepts any record up to this size, so lowering max_record_bytes between runs does
// not make stored records look corrupt.
constexpr std::uint64_t kMaxRecoverableBody = std::uint64_t{256} << 20;
// How often a full disk is looked at again, and how much must be free to go on: room for a few
// records, so that the first appends after resuming do not fill it up at once.
constexpr std::int64_t kSpaceCheckIntervalMs = 1000;
constexpr std::uint64_t kResumeRecords = 4;

bool no_space(int error_number) {
    return error_number == ENOSPC || error_number == EDQUOT;
}

// An intact record (magic, length, CRC and fields all check) and its size on disk.
struct ParsedRecord {
    SpooledMessage message;
    std::uint64_t size = 0;
};

std::optional<ParsedRecord> parse_record(std::string_view bytes, std::uint64_t at) {
    const std::string_view rest = bytes.substr(at);
    const record::Header header = record::decode_header(rest, kMaxRecoverableBody);
    if (header.status != record::HeaderStatus::ok) {
        return std::nullopt;
    }
    const std::string_view body = rest.substr(record::kHeaderSize, header.body_size);
    if (crc32(body) != header.crc) {
        return std::nullopt;
    }
    auto message = record::decode_body(body, header.format);
    if (!message) {
        return std::nullopt;
    }
    return ParsedRecord{std::move(*message), record::kHeaderSize + header.body_size};
}

// Where the next intact record after a damaged one starting at `from` begins. A payload may hold
// bytes that look like a record; besides a matching CRC, a candidate must carry a seq after the
// last intact record's (seqs only grow through the segments), which such a look-alike would not.
std::optional<std::uint64_t> next_intact_record(std::string_view bytes, std::uint64_t from,
                                                std::uint64_t after_seq) {
    for (auto at = record::find_magic(bytes, from); at != std::string_view::npos;
         at = record::find_magic(bytes, at + 1)) {
        if (auto parsed = parse_record(bytes, at); parsed && parsed->message.seq > after_seq) {
            return at;
        }
    }
    return std::nullopt;
}

std::filesystem::path segment_path(const std::filesystem::path& dir, std::uint64_t id) {
    char name[32];
    std::snprintf(name, sizeof name, "%016llu", static_cast<unsigned long long>(id));
    return dir / (std::string(name) + std::string(kSegmentSuffix));
}

// Segment ids found in `dir`, ascending; other files are left alone.
std::vector<std::uint64_t> list_segments(const std::filesystem::path& dir) {
    std::vector<std::uint64_t> ids;
    std::error_code ec;
    for (const auto& item : std::filesystem::directory_iterator(dir, ec)) {
        const std::string name = item.path().filename().string();
        if (name.size() <= kSegmentSuffix.size() || !name.ends_with(kSegmentSuffix)) {
            continue;
        }
        std::uint64_t id = 0;
        const char* end = name.data() + name.size() - kSegmentSuffix.size();
        auto [ptr, parse_error] = std::from_chars(name.data(), end, id);
        if (parse_error == std::errc{} && ptr == end) {
            ids.push_back(id);
        }
    }
    std::sort(ids.begin(), ids.end());
    return ids;
}

int lock_directory(const std::filesystem::path& dir, std::string& error) {
    const std::filesystem::path path = dir / "lock";
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        error = "cannot open " + path.string() + ": " + std::strerror(errno);
        return -1;
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        error = "spool directory " + dir.string() + " is in use by another process";
        ::close(fd);
        return -1;
    }
    return fd;
}

}  // namespace

std::string_view to_string(AppendStatus status) {
    switch (status) {
        case AppendStatus::ok:
            return "ok";
        case AppendStatus::full:
            return "spool full";
        case AppendStatus::too_large:
            return "message too large for the spool";
        case AppendStatus::io_error:
            return "spool write failed";
    }
    return "unknown";
}

std::unique_ptr<Spool> Spool::open(SpoolOptions options, std::string& error) {
    if (options.dir.empty()) {
        error = "spool directory not set";
        return nullptr;
    }
    if (options.window == 0 || options.max_record_bytes == 0 ||
        options.max_bytes < options.max_record_bytes) {
        error = "spool limits inconsistent: need window > 0 and max_bytes >= max_record_bytes";
        return nullptr;
    }
    std::error_code ec;
    std::filesystem::create_directories(options.dir, ec);
    if (ec) {
        error = "cannot create spool directory " + options.dir.string() + ": " + ec.message();
        return nullptr;
    }
    const int lock_fd = lock_directory(options.dir, error);
    if (lock_fd < 0) {
        return nullptr;
    }
    AckLog::Contents acked;
    auto ack_log = AckLog::open(options.dir / "acks.log", acked, error, options.fault);
    if (!ack_log) {
        ::close(lock_fd);
        return nullptr;
    }
    SourceLog::Contents sources;
    auto source_log = SourceLog::open(options.dir / "sources.log", sources, error);
    if (!source_log) {
        ::close(lock_fd);
        return nullptr;
    }
    std::unique_ptr<Spool> spool(new Spool(std::move(options), std::move(*ack_log), lock_fd));
    spool->source_log_.emplace(std::move(*source_log));
    spool->logged_sources_ = std::move(sources.entries);
    if (sources.damaged_bytes > 0) {
        spdlog::warn("spool: sources.log had {} damaged bytes at its end (cut off)",
                     sources.damaged_bytes);
    }
    spool->counters_.corrupt += acked.bad_entries;
    if (acked.bad_entries > 0 || acked.torn_bytes > 0) {
        spdlog::warn(
            "spool: acks.log had {} damaged entries and {} torn bytes; the messages they "
            "acknowledged may be sent again",
            acked.bad_entries, acked.torn_bytes);
    }
    if (!spool->recover(std::move(acked.seqs), error)) {
        return nullptr;
    }
    return spool;
}

Spool::Spool(SpoolOptions options, AckLog ack_log, int lock_fd)
    : options_(std::move(options)),
      clock_(options_.dir / "clock", options_.clock, options_.monotonic),
      ack_log_(std::move(ack_log)),
      lock_fd_(lock_fd) {}

Spool::~Spool() {
    write_recent_sources(true);  // before retired segments are deleted below
    std::string error;
    if (!ack_log_.flush(error)) {
        spdlog::error("spool: {}", error);
    }
    if (!clock_.save(error)) {
        spdlog::error("spool: {}", error);
    }
    for (auto& sealed : sealed_unsynced_) {
        if (!sealed.sync(error)) {
            spdlog::error("spool: {}", error);
        }
    }
    if (active_ && unsynced_ && !segments_.at(*active_).file.sync(error)) {
        spdlog::error("spool: {}", error);
    }
    segments_.clear();
    delete_retired_files(std::exchange(retired_files_, {}));
    if (lock_fd_ >= 0) {
        ::close(lock_fd_);
    }
}

bool Spool::recover(std::vector<std::uint64_t> acked, std::string& error) {
    std::sort(acked.begin(), acked.end());
    acked.erase(std::unique(acked.begin(), acked.end()), acked.end());
    if (!acked.empty()) {
        next_seq_ = acked.back() + 1;
    }
    const std::vector<std::uint64_t> ids = list_segments(options_.dir);
    ScanState scan;
    scan.acked_sorted = std::move(acked);
    for (std::uint64_t id : ids) {
        auto file = SegmentFile::open(segment_path(options_.dir, id), error, options_.fault);
        if (!file) {
            return false;
        }
        Segment& segment = segments_.emplace(id, Segment{std::move(*file), 0, {}}).first->second;
        scan_segment(id, segment, id == ids.back(), scan);
        bytes_ += segment.file.size();
        done_in_live_segments_ += segment.done_seqs.size();
        next_segment_id_ = id + 1;
    }
    // Segments with nothing left to send are finished; the next append starts a fresh segment.
    std::vector<std::uint64_t> finished;
    for (const auto& [id, segment] : segments_) {
        if (segment.live == 0) {
            finished.push_back(id);
        }
    }
    for (std::uint64_t id : finished) {
        remove_segment(id);
    }
    restore_recent_sources();  // before the files of finished segments go
    // Number on after every seq sources.log still names: a spool the last runs emptied (its
    // acks.log compacted to nothing) would otherwise count from 1 again, and the window restored
    // at the next start keeps one message per seq, so a redelivery of the newer one would be
    // stored again under a new $.mid.
    for (const auto& entry : recent_.entries()) {
        next_seq_ = std::max(next_seq_, entry.seq + 1);
    }
    next_seq_ = std::max(next_seq_, recent_.floor());
    // Deleted before the rewritten log stops naming their records.
    delete_retired_files(std::exchange(retired_files_, {}));
    // Keep only acks of records that still exist, so the log does not grow across restarts.
    const std::vector<std::uint64_t> still_needed = acks_still_needed();
    if (still_needed.size() != ack_log_.entries() && !ack_log_.rewrite(still_needed, error)) {
        return false;
    }
    counters_.bytes = bytes_;
    first_uncommitted_seq_ = next_seq_;
    clock_.start(scan.newest_stamp_ms);
    if (counters_.recovered > 0) {
        spdlog::info("spool: recovered {} unacknowledged messages for {} devices ({} bytes)",
                     counters_.recovered.load(), devices_.size(), bytes_);
    }
    return true;
}

void Spool::scan_segment(std::uint64_t id, Segment& segment, bool newest, ScanState& scan) {
    std::string bytes;
    std::string error;
    if (!segment.file.read_all(bytes, error)) {
        spdlog::error("spool: {}", error);
        ++counters_.io_errors;
        segment.live = 1;  // unreadable now; keep the file rather than delete unsent messages
        return;
    }
    std::uint64_t stretches = 0;     // damaged stretches stepped over
    std::uint64_t skipped = 0;       // their bytes
    std::uint64_t intact_after = 0;  // intact records found after the first damage
    std::uint64_t at = 0;
    while (at < bytes.size()) {
        auto parsed = parse_record(bytes, at);
        if (parsed) {
            intact_after += stretches > 0 ? 1 : 0;
            const std::uint64_t size = parsed->size;
            add_recovered(id, segment, at, size, std::move(parsed->message), scan);
            at += size;
            continue;
        }
        const auto next = next_intact_record(bytes, at + 1, scan.last_seq);
        if (!next && newest) {
            // The process died while writing its last record: nothing after it was ever
            // reported as stored, so cutting it off loses nothing.
            counters_.torn_bytes += bytes.size() - at;
            if (!segment.file.truncate(at, error)) {
                spdlog::error("spool: {}", error);
                ++counters_.io_errors;
            }
            break;
        }
        const std::uint64_t resume = next.value_or(bytes.size());
        ++stretches;
        skipped += resume - at;
        at = resume;
    }
    if (stretches > 0) {
        counters_.corrupt += stretches;
        counters_.damaged_bytes += skipped;
        keep_damaged_copy(segment.file, stretches, skipped, intact_after);
    }
}

void Spool::add_recovered(std::uint64_t id, Segment& segment, std::uint64_t offset,
                          std::uint64_t size, SpooledMessage message, ScanState& scan) {
    next_seq_ = std::max(next_seq_, message.seq + 1);
    scan.last_seq = std::max(scan.last_seq, message.seq);
    const std::int64_t stamp_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(message.enqueued.time_since_epoch())
            .count();
    scan.newest_stamp_ms = std::max(scan.newest_stamp_ms.value_or(stamp_ms), stamp_ms);
    recent_.remember({message.message.source.packet_id, message.message.source.digest, message.seq,
                      message.mid});
    if (std::binary_search(scan.acked_sorted.begin(), scan.acked_sorted.end(), message.seq)) {
        segment.done_seqs.push_back(message.seq);
        return;
    }
    Entry entry;
    entry.seq = message.seq;
    entry.segment = id;
    entry.offset = offset;
    entry.size = static_cast<std::uint32_t>(size);
    entry.enqueued_ms = stamp_ms;
    DeviceQueue& queue = devices_[message.message.device_id];
    ++queue.unfinished;
    queue.unfinished_bytes += entry.size;
    queue.entries.push_back(std::move(entry));
    ++segment.live;
    ++counters_.recovered;
    ++counters_.messages;
}

void Spool::keep_damaged_copy(const SegmentFile& file, std::uint64_t stretches,
                              std::uint64_t skipped, std::uint64_t intact_after) {
    // A copy, not the file itself: its intact records are still read from it. A copy left by an
    // earlier start (the same damage seen again) is kept as it is.
    const std::filesystem::path folder = options_.dir / "damaged";
    const std::filesystem::path copy = folder / file.path().filename();
    std::error_code ec;
    std::filesystem::create_directories(folder, ec);
    if (!ec && !std::filesystem::exists(copy, ec)) {
        std::filesystem::copy_file(file.path(), copy, ec);
    }
    if (ec) {
        ++counters_.io_errors;
        spdlog::error("spool: cannot keep a copy of the damaged {} in {}: {}", file.path().string(),
                      folder.string(), ec.message());
    }
    spdlog::error(
        "spool: {} is damaged: skipped {} damaged stretch(es), {} bytes (the records in them are "
        "lost); {} intact records after the damage recovered; a copy is kept in {}",
        file.path().string(), stretches, skipped, intact_after, copy.string());
}

std::int64_t Spool::now_ms() const {
    return clock_.now_ms();
}

Spool::Segment* Spool::writable_segment(std::size_t record_size, std::string& error) {
    if (active_) {
        Segment& current = segments_.at(*active_);
        if (current.file.size() == 0 ||
            current.file.size() + record_size <= options_.segment_bytes) {
            return &current;
        }
        // Seal the full segment: with batch sync its tail must reach the disk before the next
        // commit() lets the broker forget those messages. That commit syncs it, outside the lock.
        if (unsynced_) {
            if (auto second = current.file.duplicate(error)) {
                sealed_unsynced_.push_back(std::move(*second));
            } else if (!current.file.sync(error)) {  // out of descriptors: synced here instead
                return nullptr;
            }
        }
        unsynced_ = false;
        if (current.live == 0) {
            remove_segment(*active_);
        }
        active_.reset();
    }
    const std::uint64_t id = next_segment_id_;
    HUBGATE_TRACE(trace::Point::segment_roll_start, id);
    auto file = SegmentFile::create(segment_path(options_.dir, id), error, options_.fault);
    HUBGATE_TRACE(trace::Point::segment_roll_end, id);
    if (!file) {
        return nullptr;
    }
    ++next_segment_id_;
    active_ = id;
    return &segments_.emplace(id, Segment{std::move(*file), 0, {}}).first->second;
}

AppendResult Spool::append(SpoolMessage&& message) {
    SpooledMessage stored;
    stored.mid = new_message_id();
    stored.message = std::move(message);

    std::lock_guard lock(mutex_);
    AppendResult result;
    auto original = recent_.find(stored.message.source.packet_id, stored.message.source.digest);
    // A copy given up after a failed sync is no copy: this redelivery is stored anew.
    if (original && given_up_.erase(original->seq) == 0) {
        ++counters_.redeliveries;
        result.status = AppendStatus::ok;
        result.seq = original->seq;
        result.mid = MessageIdText(original->mid);
        result.redelivery = true;
        return result;
    }
    stored.seq = next_seq_;
    // Whole milliseconds, as the record stores it: a kept copy equals what load() would return.
    stored.enqueued =
        std::chrono::system_clock::time_point{std::chrono::milliseconds{clock_.now_ms()}};
    const std::string record = record::encode(stored);
    if (record.size() > options_.max_record_bytes) {
        result.status = AppendStatus::too_large;
        return result;
    }
    if (bytes_ + record.size() > options_.max_bytes) {
        ++counters_.full_events;
        result.status = AppendStatus::full;
        return result;
    }
    std::string error;
    Segment* segment = writable_segment(record.size(), error);
    int cause = segment == nullptr ? errno : 0;  // why a new segment could not be created
    const std::uint64_t offset = segment != nullptr ? segment->file.size() : 0;
    bool written = segment != nullptr && segment->file.append(record, error);
    if (written && options_.sync == SyncMode::always && !segment->file.sync(error)) {
        std::string ignored;
        segment->file.truncate(offset, ignored);
        written = false;
    }
    if (!written && segment != nullptr) {
        cause = segment->file.last_errno();
    }
    if (!written && no_space(cause)) {
        ++counters_.full_events;
        disk_became_full(error);
        result.status = AppendStatus::full;
        return result;
    }
    if (!written) {
        ++counters_.io_errors;
        spdlog::error("spool: {}", error);
        result.status = AppendStatus::io_error;
        return result;
    }
    unsynced_ = options_.sync == SyncMode::batch;

    Entry entry;
    entry.seq = stored.seq;
    entry.segment = *active_;
    entry.offset = offset;
    entry.size = static_cast<std::uint32_t>(record.size());
    entry.enqueued_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(stored.enqueued.time_since_epoch())
            .count();
    // The id is lent to the window's entry (which copies it into a fixed slot) and taken back,
    // rather than copied.
    RecentSources::Entry source{stored.message.source.packet_id, stored.message.source.digest,
                                stored.seq, std::move(stored.mid)};
    if (source.packet_id != 0 && source_log_) {
        source_log_->add(source);
    }
    recent_.remember(source);
    stored.mid = std::move(source.mid);
    result.status = AppendStatus::ok;
    result.seq = stored.seq;
    result.mid = MessageIdText(stored.mid);
    HUBGATE_TRACE_APPENDED(stored.seq, stored.message.payload);
    // Found before `stored` may move into the entry.
    auto device = devices_.find(stored.message.device_id);
    if (device == devices_.end()) {
        device = devices_.emplace(stored.message.device_id, DeviceQueue{}).first;
    }
    if (kept_bytes_ + record.size() <= options_.keep_in_memory_bytes) {
        kept_bytes_ += record.size();
        if (spare_boxes_.empty()) {
            entry.kept = std::make_unique<SpooledMessage>(std::move(stored));
        } else {
            entry.kept = std::move(spare_boxes_.back());
            spare_boxes_.pop_back();
            *entry.kept = std::move(stored);
        }
    }
    ++device->second.unfinished;
    device->second.unfinished_bytes += entry.size;
    device->second.entries.push_back(std::move(entry));
    ++segment->live;
    ++next_seq_;
    bytes_ += record.size();
    counters_.bytes = bytes_;
    ++counters_.appended;
    ++counters_.messages;
    return result;
}

void Spool::pass_source(std::uint32_t packet_id) {
    std::lock_guard lock(mutex_);
    recent_.drop(packet_id);
}

void Spool::forget_recent_sources() {
    std::lock_guard writing(sources_mutex_);
    std::uint64_t floor = 0;
    {
        std::lock_guard lock(mutex_);
        floor = next_seq_;
        recent_.forget(floor);
        given_up_.clear();
        if (source_log_) {
            source_log_->take_pending();
        }
    }
    // Old sources must not come back after a restart (from this file, or from records still in
    // the segments): their packet ids mean other messages now.
    std::string error;
    if (source_log_ && !source_log_->rewrite(floor, {}, error)) {
        ++counters_.io_errors;
        spdlog::error("spool: {}", error);
    }
}

void Spool::restore_recent_sources() {
    if (!source_log_) {
        return;
    }
    recent_.restore(std::exchange(logged_sources_, {}));
    std::string error;
    if (!source_log_->rewrite(recent_.floor(), recent_.entries(), error)) {
        // Only costs duplicates with new ids if the broker redelivers those messages.
        ++counters_.io_errors;
        spdlog::error("spool: {}", error);
    }
}

void Spool::write_recent_sources(bool sync) {
    std::lock_guard writing(sources_mutex_);
    if (!source_log_) {
        return;
    }
    SourceLog::Pending pending;
    std::optional<std::vector<RecentSources::Entry>> window;
    std::uint64_t floor = 0;
    {
        std::lock_guard lock(mutex_);
        pending = source_log_->take_pending();
        // Past twice the window, most of the file is entries that fell out of it: write the
        // window instead (it includes the pending entries).
        if (source_log_->entries_written() + pending.count > 2 * recent_.capacity() + 1024) {
            window = recent_.entries();
            floor = recent_.floor();
        }
    }
    std::string error;
    bool written = true;
    if (window) {
        written = source_log_->rewrite(floor, *window, error);
    } else if (pending.count > 0) {
        written = source_log_->write(pending, error) && (!sync || source_log_->sync(error));
    }
    if (written) {
        write_succeeded(sources_failing_, "sources.log written");
    } else {
        write_failed(sources_failing_, error);
    }
}

bool Spool::commit() {
    // The syncs run without the lock, so sessions can take and ack, and the local link append,
    // meanwhile. The active segment is synced through a second descriptor: an append may seal
    // it, and an ack then delete it, while the sync runs.
    std::optional<SegmentFile> active;
    std::vector<SegmentFile> sealed;
    std::string error;
    int cause = 0;
    std::uint64_t first = 0;
    {
        std::lock_guard lock(mutex_);
        sealed.swap(sealed_unsynced_);
        if (unsynced_ && active_) {
            SegmentFile& file = segments_.at(*active_).file;
            active = file.duplicate(error);
            // Out of descriptors: synced here, under the lock, as an exception.
            if (!active && !file.sync(error)) {
                cause = file.last_errno();
            }
            unsynced_ = false;
        }
        first = std::exchange(first_uncommitted_seq_, next_seq_);
        HUBGATE_TRACE(trace::Point::sync_start, first, next_seq_);
    }
    for (auto& segment : sealed) {
        if (cause == 0 && !segment.sync(error)) {
            cause = segment.last_errno();
        }
    }
    if (cause == 0 && active && !active->sync(error)) {
        cause = active->last_errno();
    }
    HUBGATE_TRACE(trace::Point::sync_end, 0, cause == 0 ? 1 : 0);
    if (cause == 0) {
        return true;
    }
    ++counters_.io_errors;
    spdlog::error("spool: {}", error);
    // Not synced again: after a failed fdatasync the kernel may have dropped the pages it could
    // not write, so a retry that succeeds proves nothing about them. Given up: everything not
    // known synced, also what was appended while this sync ran (into the same pages, and not
    // acknowledged to the local broker: that waits for a later commit).
    std::lock_guard lock(mutex_);
    give_up_unsynced(first, next_seq_);
    first_uncommitted_seq_ = next_seq_;
    if (no_space(cause)) {
        disk_became_full(error);
    }
    return false;
}

void Spool::give_up_unsynced(std::uint64_t first, std::uint64_t end) {
    std::uint64_t given_up = 0;
    for (auto device = devices_.begin(); device != devices_.end();) {
        DeviceQueue& queue = device->second;
        auto it =
            std::lower_bound(queue.entries.begin(), queue.entries.end(), first,
                             [](const Entry& entry, std::uint64_t seq) { return entry.seq < seq; });
        for (; it != queue.entries.end() && it->seq < end; ++it) {
            if (it->state == EntryState::done) {
                continue;  // the hub acknowledged it already: it is safe there
            }
            if (it->state == EntryState::in_flight) {
                --queue.in_flight;
            }
            given_up_.insert(it->seq);
            finish(queue,
                   *it);  // also in acks.log: a copy that did reach the disk is not sent later
            ++given_up;
        }
        auto next = std::next(device);
        pop_finished(device);
        device = next;
    }
    // New records go to a fresh file, away from pages whose fate is unknown.
    seal_active();
    counters_.unsynced_given_up += given_up;
    if (given_up > 0) {
        spdlog::error(
            "spool: gave up {} messages whose sync failed; the local broker still has them and "
            "they are stored again when it redelivers them",
            given_up);
    }
}

void Spool::seal_active() {
    if (!active_) {
        return;
    }
    const std::uint64_t id = *active_;
    active_.reset();
    unsynced_ = false;
    if (segments_.at(id).live == 0) {
        remove_segment(id);
    }
}

void Spool::disk_became_full(const std::string& error) {
    next_space_check_ms_ = clock_.now_ms() + kSpaceCheckIntervalMs;
    if (disk_full_.exchange(true)) {
        return;
    }
    ++counters_.disk_full;
    spdlog::error(
        "spool: the disk is full ({}); taking no more local messages until space returns (the "
        "local broker keeps them)",
        error);
}

bool Spool::space_returned() const {
    const std::int64_t now = clock_.now_ms();
    if (now < next_space_check_ms_.load()) {
        return false;
    }
    next_space_check_ms_ = now + kSpaceCheckIntervalMs;
    if (options_.fault && options_.fault(FileOp::free_space, options_.dir) != 0) {
        return false;
    }
    struct statvfs info {};
    if (::statvfs(options_.dir.c_str(), &info) != 0 ||
        std::uint64_t{info.f_bavail} * info.f_frsize < kResumeRecords * options_.max_record_bytes) {
        return false;
    }
    if (disk_full_.exchange(false)) {
        spdlog::info("spool: disk space returned; taking local messages again");
    }
    return true;
}

bool Spool::has_room() const {
    if (disk_full_.load() && !space_returned()) {
        return false;
    }
    std::lock_guard lock(mutex_);
    return bytes_ + options_.max_record_bytes <= options_.max_bytes;
}

bool Spool::expired(const Entry& entry, std::int64_t now) const {
    const auto ttl_ms = std::chrono::duration_cast<std::chrono::milliseconds>(options_.ttl).count();
    return ttl_ms > 0 && now - entry.enqueued_ms > ttl_ms;
}

std::optional<SpooledMessage> Spool::load(const Entry& entry, bool& io_failure) {
    std::string bytes;
    std::string error;
    io_failure = false;
    if (!segments_.at(entry.segment).file.read(entry.offset, entry.size, bytes, error)) {
        spdlog::error("spool: {}", error);
        ++counters_.io_errors;
        io_failure = true;
        return std::nullopt;
    }
    const record::Header header = record::decode_header(bytes, kMaxRecoverableBody);
    if (header.status == record::HeaderStatus::ok &&
        record::kHeaderSize + header.body_size == bytes.size()) {
        const std::string_view body = std::string_view(bytes).substr(record::kHeaderSize);
        if (crc32(body) == header.crc) {
            auto message = record::decode_body(body, header.format);
            if (message && message->seq == entry.seq) {
                return message;
            }
        }
    }
    ++counters_.corrupt;
    spdlog::error("spool: record {} in {} is corrupt; dropped", entry.seq,
                  segments_.at(entry.segment).file.path().string());
    return std::nullopt;
}

std::vector<SpooledMessage> Spool::take(std::string_view device_id) {
    std::vector<SpooledMessage> out;
    take(device_id, out);
    return out;
}

void Spool::take(std::string_view device_id, std::vector<SpooledMessage>& out) {
    std::lock_guard lock(mutex_);
    auto device = devices_.find(device_id);
    if (device == devices_.end()) {
        return;
    }
    DeviceQueue& queue = device->second;
    const std::int64_t now = now_ms();
    for (Entry& entry : queue.entries) {
        if (queue.in_flight >= options_.window) {
            break;
        }
        if (entry.state != EntryState::waiting) {
            continue;
        }
        if (expired(entry, now)) {
            ++counters_.dropped_ttl;
            finish(queue, entry);
            continue;
        }
        if (auto kept = take_kept(entry)) {
            entry.state = EntryState::in_flight;
            ++queue.in_flight;
            out.push_back(std::move(*kept));
            if (spare_boxes_.size() < kMaxSpareBoxes) {
                spare_boxes_.push_back(std::move(kept));
            }
            continue;
        }
        bool io_failure = false;
        auto message = load(entry, io_failure);
        if (io_failure) {
            break;  // keep it and everything after it for a later attempt, in order
        }
        if (!message) {
            finish(queue, entry);
            continue;
        }
        entry.state = EntryState::in_flight;
        ++queue.in_flight;
        out.push_back(std::move(*message));
    }
    pop_finished(device);
}

std::vector<SpooledMessage> Spool::take_run(std::string_view device_id, RecordKind kind,
                                            std::size_t limit) {
    std::lock_guard lock(mutex_);
    std::vector<SpooledMessage> out;
    auto device = devices_.find(device_id);
    if (device == devices_.end()) {
        return out;
    }
    DeviceQueue& queue = device->second;
    const std::int64_t now = now_ms();
    for (Entry& entry : queue.entries) {
        if (out.size() >= limit) {
            break;
        }
        if (entry.state != EntryState::waiting) {
            continue;
        }
        if (expired(entry, now)) {
            ++counters_.dropped_ttl;
            finish(queue, entry);
            continue;
        }
        if (entry.kept) {
            if (entry.kept->message.kind != kind) {
                break;  // the run ends here; the message stays kept for take()
            }
            entry.state = EntryState::in_flight;
            ++queue.in_flight;
            out.push_back(std::move(*take_kept(entry)));
            continue;
        }
        bool io_failure = false;
        auto message = load(entry, io_failure);
        if (io_failure) {
            break;
        }
        if (!message) {
            finish(queue, entry);
            continue;
        }
        if (message->message.kind != kind) {
            break;  // read again by the next take()
        }
        entry.state = EntryState::in_flight;
        ++queue.in_flight;
        out.push_back(std::move(*message));
    }
    pop_finished(device);
    return out;
}

bool Spool::ack(std::string_view device_id, std::uint64_t seq) {
    std::lock_guard lock(mutex_);
    auto device = devices_.find(device_id);
    if (device == devices_.end()) {
        return false;
    }
    auto& entries = device->second.entries;
    auto it = std::lower_bound(entries.begin(), entries.end(), seq,
                               [](const Entry& entry, std::uint64_t s) { return entry.seq < s; });
    if (it == entries.end() || it->seq != seq || it->state != EntryState::in_flight) {
        return false;
    }
    --device->second.in_flight;
    ++counters_.acked;
    finish(device->second, *it);
    pop_finished(device);
    return true;
}

void Spool::requeue(std::string_view device_id) {
    std::lock_guard lock(mutex_);
    auto device = devices_.find(device_id);
    if (device == devices_.end()) {
        return;
    }
    for (Entry& entry : device->second.entries) {
        if (entry.state == EntryState::in_flight) {
            entry.state = EntryState::waiting;
        }
    }
    device->second.in_flight = 0;
}

std::size_t Spool::expire() {
    std::lock_guard lock(mutex_);
    const std::int64_t now = now_ms();
    std::size_t dropped = 0;
    for (auto device = devices_.begin(); device != devices_.end();) {
        for (Entry& entry : device->second.entries) {
            if (entry.state == EntryState::waiting && expired(entry, now)) {
                finish(device->second, entry);
                ++dropped;
            }
        }
        auto next = std::next(device);
        pop_finished(device);
        device = next;
    }
    counters_.dropped_ttl += dropped;
    return dropped;
}

std::vector<std::string> Spool::devices_with_backlog() const {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    for (const auto& [id, queue] : devices_) {
        if (std::any_of(queue.entries.begin(), queue.entries.end(),
                        [](const Entry& entry) { return entry.state == EntryState::waiting; })) {
            out.push_back(id);
        }
    }
    return out;
}

std::size_t Spool::backlog(std::string_view device_id) const {
    std::lock_guard lock(mutex_);
    auto device = devices_.find(device_id);
    if (device == devices_.end()) {
        return 0;
    }
    return device->second.unfinished;
}

std::vector<DeviceBacklog> Spool::backlogs() const {
    std::lock_guard lock(mutex_);
    std::vector<DeviceBacklog> out;
    out.reserve(devices_.size());
    for (const auto& [id, queue] : devices_) {
        if (queue.unfinished > 0) {
            out.push_back({id, queue.unfinished, queue.unfinished_bytes});
        }
    }
    return out;
}

std::unique_ptr<SpooledMessage> Spool::take_kept(Entry& entry) {
    if (entry.kept) {
        kept_bytes_ -= entry.size;
    }
    return std::move(entry.kept);
}

void Spool::write_acks() {
    // Most sender batches finish nothing (they only take): skip the lock the local link's
    // appends need. An ack recorded just after this check is written by the next call.
    if (!acks_unwritten_.load(std::memory_order_relaxed)) {
        return;
    }
    std::lock_guard lock(mutex_);
    std::string error;
    HUBGATE_TRACE(trace::Point::acks_write_start, ack_log_.unwritten());
    const bool flushed = ack_log_.flush(error);
    HUBGATE_TRACE(trace::Point::acks_write_end);
    if (flushed) {
        acks_unwritten_.store(false, std::memory_order_relaxed);
        write_succeeded(acks_failing_, "acknowledgements written to acks.log");
        return;
    }
    // Kept for the next call, in order (ack_log.hpp): a crash meanwhile only sends the unwritten
    // tail again.
    write_failed(acks_failing_, error + "; " + std::to_string(ack_log_.unwritten()) +
                                    " acknowledgements kept in memory until it can be written");
}

void Spool::write_failed(bool& failing, const std::string& error) {
    ++counters_.io_errors;
    if (!std::exchange(failing, true)) {
        spdlog::error("spool: {}", error);
    }
}

void Spool::write_succeeded(bool& failing, std::string_view what) {
    if (std::exchange(failing, false)) {
        spdlog::info("spool: {} again", what);
    }
}

void Spool::finish(DeviceQueue& queue, Entry& entry) {
    entry.state = EntryState::done;
    --queue.unfinished;
    queue.unfinished_bytes -= entry.size;
    take_kept(entry);  // a copy still kept is not needed any more
    --counters_.messages;
    ack_log_.add(entry.seq);
    acks_unwritten_.store(true, std::memory_order_relaxed);
    if (acks_during_compaction_) {
        acks_during_compaction_->push_back(entry.seq);
    }
    auto segment = segments_.find(entry.segment);
    segment->second.done_seqs.push_back(entry.seq);
    ++done_in_live_segments_;
    if (--segment->second.live == 0 && entry.segment != active_) {
        remove_segment(entry.segment);
    }
    // Entries for deleted segments are dead weight: compacted (by tidy()) once they dominate.
    if (!acks_during_compaction_ && ack_log_.entries() >= 4 * done_in_live_segments_ + 4096) {
        ack_compaction_due_ = true;
    }
}

void Spool::remove_segment(std::uint64_t id) {
    auto segment = segments_.find(id);
    const std::filesystem::path path = segment->second.file.path();
    bytes_ -= segment->second.file.size();
    counters_.bytes = bytes_;
    done_in_live_segments_ -= segment->second.done_seqs.size();
    segments_.erase(segment);
    if (active_ == id) {
        active_.reset();
        unsynced_ = false;
    }
    retired_files_.push_back(path);
}

void Spool::delete_retired_files(std::vector<std::filesystem::path> files) {
    for (const auto& path : files) {
        std::error_code ec;
        std::filesystem::remove(path, ec);
        if (ec) {
            ++counters_.io_errors;
            spdlog::error("spool: cannot delete {}: {}", path.string(), ec.message());
        }
    }
}

std::vector<std::uint64_t> Spool::acks_still_needed() const {
    std::vector<std::uint64_t> still_needed;
    still_needed.reserve(done_in_live_segments_);
    for (const auto& [id, segment] : segments_) {
        still_needed.insert(still_needed.end(), segment.done_seqs.begin(), segment.done_seqs.end());
    }
    return still_needed;
}

void Spool::tidy() {
    HUBGATE_TRACE(trace::Point::tidy_start);
    write_acks();
    std::lock_guard tidying(tidy_mutex_);
    std::vector<std::filesystem::path> retired;
    std::vector<std::uint64_t> still_needed;
    bool compact = false;
    {
        std::lock_guard lock(mutex_);
        retired.swap(retired_files_);
        if (ack_compaction_due_) {
            ack_compaction_due_ = false;
            compact = true;
            still_needed = acks_still_needed();
            acks_during_compaction_.emplace();
        }
    }
    // The sources of their records stay recognisable once the files are gone (sources.log).
    write_recent_sources(!retired.empty());
    // Deleted before the compacted log stops naming their records: the other order could bring
    // finished messages back after a crash.
    delete_retired_files(std::move(retired));
    if (compact) {
        compact_ack_log(still_needed);
    }
    std::string error;
    const bool saved = clock_.save(error);
    if (!saved && !clock_save_failed_) {
        ++counters_.io_errors;
        spdlog::error("spool: {} (message ages may restart from an older value)", error);
    }
    clock_save_failed_ = !saved;
    HUBGATE_TRACE(trace::Point::tidy_end);
}

void Spool::compact_ack_log(const std::vector<std::uint64_t>& still_needed) {
    // The new file is written and synced without the lock (acks keep going to the current log
    // meanwhile and are collected); it replaces the log under the lock, with those acks added.
    std::string error;
    auto fresh = ack_log_.write_compacted(still_needed, error);
    bool installed = false;
    {
        std::lock_guard lock(mutex_);
        const auto late = std::move(*acks_during_compaction_);
        acks_during_compaction_.reset();
        installed = fresh && ack_log_.install(std::move(*fresh), late, error);
    }
    if (installed) {
        installed = sync_directory(ack_log_.path().parent_path(), error);
    }
    if (installed) {
        write_succeeded(compaction_failing_, "acks.log compacted");
    } else {
        write_failed(compaction_failing_, error);
    }
}

void Spool::pop_finished(std::map<std::string, DeviceQueue, std::less<>>::iterator device) {
    auto& entries = device->second.entries;
    while (!entries.empty() && entries.front().state == EntryState::done) {
        entries.pop_front();
    }
    if (entries.empty()) {
        devices_.erase(device);
    }
}

}  // namespace hubgate::spool
