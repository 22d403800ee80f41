#include "gateway/core/downlink_journal.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string_view>
#include <system_error>

#include "gateway/spool/crc32.hpp"
#include "gateway/spool/record_codec.hpp"

namespace hubgate::core {

namespace {

constexpr std::string_view kKeptKind = "c2d";
constexpr std::string_view kDoneKind = "done";
// IoT Hub's C2D limit is 64 KiB; anything near this is damage, not a message.
constexpr std::uint64_t kMaxBody = 1024 * 1024;
// Finished records are only worth a rewrite once they make up most of a file this large, and
// a file with nothing outstanding is only cut back to empty from this size on.
constexpr std::uint64_t kRewriteAbove = 256 * 1024;
constexpr std::uint64_t kCutBackAbove = 64 * 1024;

std::string encode_record(std::uint64_t ticket, std::string_view kind, const std::string& device_id,
                          const std::string& topic, const std::string& payload) {
    spool::record::Format1Record record;
    record.seq = ticket;
    record.enqueued = std::chrono::system_clock::now();
    record.device_id = device_id;
    record.kind = std::string(kind);
    record.topic = topic;
    record.payload = payload;
    return spool::record::encode_format1(record);
}

std::string encode_kept(const DownlinkJournal::Entry& entry) {
    return encode_record(entry.ticket, kKeptKind, entry.device_id, entry.topic, entry.payload);
}

// The record at the start of `bytes`, when it is complete and intact; its size in `size`.
std::optional<spool::record::Format1Record> valid_record_at(std::string_view bytes,
                                                            std::uint64_t& size) {
    const auto header = spool::record::decode_header(bytes, kMaxBody);
    if (header.status != spool::record::HeaderStatus::ok || header.format != 1) {
        return std::nullopt;
    }
    const std::string_view body = bytes.substr(spool::record::kHeaderSize, header.body_size);
    if (spool::crc32(body) != header.crc) {
        return std::nullopt;
    }
    size = spool::record::kHeaderSize + header.body_size;
    return spool::record::decode_format1(body);
}

// Where the next intact record after a damaged one starts (npos: none).
std::size_t next_valid_record(std::string_view bytes, std::size_t from) {
    constexpr std::string_view kMagic("HGSP", 4);
    for (auto at = bytes.find(kMagic, from); at != std::string_view::npos;
         at = bytes.find(kMagic, at + 1)) {
        std::uint64_t size = 0;
        if (valid_record_at(bytes.substr(at), size)) {
            return at;
        }
    }
    return std::string_view::npos;
}

// Writes `records` to a new file next to `path`, syncs it and renames it over `path`.
std::optional<spool::SegmentFile> install_file(const std::filesystem::path& path,
                                               const std::string& records, std::string& error) {
    const auto temporary = std::filesystem::path(path.string() + ".new");
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
    auto file = spool::SegmentFile::create(temporary, error);
    if (!file || !file->append(records, error) || !file->sync(error)) {
        std::filesystem::remove(temporary, ignored);
        return std::nullopt;
    }
    if (std::rename(temporary.c_str(), path.c_str()) != 0) {
        error = "cannot rename " + temporary.string() + ": " + std::strerror(errno);
        std::filesystem::remove(temporary, ignored);
        return std::nullopt;
    }
    if (!spool::sync_directory(path.parent_path(), error)) {
        return std::nullopt;
    }
    return spool::SegmentFile::open(path, error);
}

}  // namespace

DownlinkJournal::DownlinkJournal(std::filesystem::path path, spool::SegmentFile file,
                                 std::map<std::uint64_t, Entry> outstanding,
                                 std::uint64_t next_ticket)
    : path_(std::move(path)),
      file_(std::move(file)),
      outstanding_(std::move(outstanding)),
      next_ticket_(next_ticket),
      outstanding_bytes_(file_.size()) {}

std::unique_ptr<DownlinkJournal> DownlinkJournal::open(const std::filesystem::path& path,
                                                       Recovered& recovered, std::string& error) {
    recovered = {};
    std::string bytes;
    if (std::filesystem::exists(path)) {
        auto existing = spool::SegmentFile::open(path, error);
        if (!existing || !existing->read_all(bytes, error)) {
            return nullptr;
        }
    }
    std::map<std::uint64_t, Entry> outstanding;
    std::uint64_t next_ticket = 1;
    bool damaged = false;
    const std::string_view all(bytes);
    std::size_t at = 0;
    while (at < all.size()) {
        std::uint64_t size = 0;
        auto record = valid_record_at(all.substr(at), size);
        if (!record) {
            const std::size_t next = next_valid_record(all, at + 1);
            if (next == std::string_view::npos) {
                // A torn tail: the process died while appending. Nothing after it was kept.
                recovered.skipped_bytes += all.size() - at;
                break;
            }
            damaged = true;
            ++recovered.damaged_records;
            recovered.skipped_bytes += next - at;
            at = next;
            continue;
        }
        at += size;
        next_ticket = std::max(next_ticket, record->seq + 1);
        if (record->kind == kKeptKind) {
            auto& m = *record;
            outstanding[record->seq] = Entry{record->seq, std::move(m.device_id),
                                             std::move(m.topic), std::move(m.payload)};
        } else if (record->kind == kDoneKind) {
            outstanding.erase(record->seq);
        }
    }
    if (damaged) {
        std::error_code copy_error;
        const auto aside = std::filesystem::path(path.string() + ".damaged");
        std::filesystem::copy_file(path, aside, std::filesystem::copy_options::overwrite_existing,
                                   copy_error);
        spdlog::error(
            "c2d journal {}: {} damaged records ({} bytes) skipped; the file is kept as {}",
            path.string(), recovered.damaged_records, recovered.skipped_bytes,
            copy_error ? "(copy failed: " + copy_error.message() + ")" : aside.string());
    }
    std::string records;
    for (const auto& [ticket, entry] : outstanding) {
        records += encode_kept(entry);
        recovered.outstanding.push_back(entry);
    }
    auto file = install_file(path, records, error);
    if (!file) {
        return nullptr;
    }
    return std::unique_ptr<DownlinkJournal>(
        new DownlinkJournal(path, std::move(*file), std::move(outstanding), next_ticket));
}

std::optional<std::uint64_t> DownlinkJournal::keep(const std::string& device_id,
                                                   const std::string& topic,
                                                   const std::string& payload) {
    std::lock_guard lock(mutex_);
    Entry entry{next_ticket_, device_id, topic, payload};
    const std::string record = encode_kept(entry);
    const std::uint64_t before = file_.size();
    std::string error;
    if (!file_.append(record, error) || !file_.sync(error)) {
        // Not known to be on disk: cut it off, so a restart cannot publish it besides the copy
        // the hub delivers again.
        std::string ignored;
        file_.truncate(before, ignored);
        ++counters_.keep_failures;
        spdlog::error("c2d journal: cannot keep a message for {}: {}; the hub delivers it again",
                      device_id, error);
        return std::nullopt;
    }
    ++next_ticket_;
    outstanding_bytes_ += record.size();
    ++counters_.kept;
    const std::uint64_t ticket = entry.ticket;
    outstanding_.emplace(ticket, std::move(entry));
    return ticket;
}

void DownlinkJournal::release(std::uint64_t ticket) {
    if (finish(ticket)) {
        ++counters_.released;
    }
}

void DownlinkJournal::published(std::uint64_t ticket) {
    if (finish(ticket)) {
        ++counters_.published;
    }
}

bool DownlinkJournal::finish(std::uint64_t ticket) {
    std::lock_guard lock(mutex_);
    const auto found = outstanding_.find(ticket);
    if (found == outstanding_.end()) {
        return false;  // reported twice, or a ticket of no kept message
    }
    const Entry& entry = found->second;
    outstanding_bytes_ -= std::min<std::uint64_t>(outstanding_bytes_, encode_kept(entry).size());
    outstanding_.erase(found);
    // A small write without a sync. Cutting the file back every time it has nothing outstanding
    // would cost a journaled metadata change (about as much as keep()'s fdatasync, measured) on
    // the local link's thread.
    std::string error;
    if (!file_.append(encode_record(ticket, kDoneKind, {}, {}, {}), error)) {
        // Costs a second publish of this message after a restart, nothing else.
        ++counters_.write_errors;
        spdlog::warn("c2d journal: {}", error);
    }
    compact_locked();
    return true;
}

void DownlinkJournal::compact_locked() {
    std::string error;
    if (outstanding_.empty()) {
        if (file_.size() >= kCutBackAbove && !file_.truncate(0, error)) {
            ++counters_.write_errors;
            spdlog::warn("c2d journal: {}", error);
        }
        outstanding_bytes_ = 0;
        return;
    }
    if (outstanding_.empty() || file_.size() < kRewriteAbove ||
        file_.size() < 4 * outstanding_bytes_) {
        return;
    }
    std::string records;
    for (const auto& [ticket, entry] : outstanding_) {
        records += encode_kept(entry);
    }
    auto fresh = install_file(path_, records, error);
    if (!fresh) {
        ++counters_.write_errors;
        spdlog::warn("c2d journal: compaction failed: {}", error);
        return;
    }
    file_ = std::move(*fresh);
    outstanding_bytes_ = file_.size();
}

std::size_t DownlinkJournal::outstanding() const {
    std::lock_guard lock(mutex_);
    return outstanding_.size();
}

std::uint64_t DownlinkJournal::file_size() const {
    std::lock_guard lock(mutex_);
    return file_.size();
}

}  // namespace hubgate::core
