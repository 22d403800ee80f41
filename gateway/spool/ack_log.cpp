#include "gateway/spool/ack_log.hpp"

#include <cerrno>
#include <cstdio>
#include <limits>
#include <system_error>

#include "gateway/spool/crc32.hpp"
#include "gateway/spool/little_endian.hpp"

namespace hubgate::spool {
namespace {

void encode_entry(std::uint64_t seq, std::string& out) {
    const std::size_t start = out.size();
    append_le(out, seq, 8);
    append_le(out, crc32(std::string_view(out).substr(start)), 4);
}

}  // namespace

std::optional<AckLog> AckLog::open(const std::filesystem::path& path, Contents& contents,
                                   std::string& error, FaultHook fault) {
    std::error_code ec;
    auto file = std::filesystem::exists(path, ec)
                    ? SegmentFile::open(path, error, std::move(fault))
                    : SegmentFile::create(path, error, std::move(fault));
    if (!file) {
        return std::nullopt;
    }
    std::string bytes;
    if (!file->read_all(bytes, error)) {
        return std::nullopt;
    }
    const std::size_t whole = bytes.size() / kEntrySize * kEntrySize;
    for (std::size_t at = 0; at < whole; at += kEntrySize) {
        const std::string_view seq_bytes(bytes.data() + at, 8);
        if (load_le(bytes.data() + at + 8, 4) != crc32(seq_bytes)) {
            ++contents.bad_entries;
            continue;
        }
        contents.seqs.push_back(load_le(bytes.data() + at, 8));
    }
    if (whole != bytes.size()) {
        contents.torn_bytes = bytes.size() - whole;
        if (!file->truncate(whole, error)) {
            return std::nullopt;
        }
    }
    return AckLog(path, std::move(*file));
}

void AckLog::add(std::uint64_t seq) {
    encode_entry(seq, pending_);
}

bool AckLog::flush(std::string& error) {
    if (pending_.empty()) {
        return true;
    }
    if (!file_.append(pending_, error)) {
        return false;  // kept: SegmentFile::append cut the file back to whole entries
    }
    pending_.clear();
    keep_reserve();
    return true;
}

void AckLog::keep_reserve() {
    if (file_.size() + kReserveBytes / 2 > reserved_to_) {
        // Best effort: without it a full disk fails the write, and the entries wait in pending_.
        // A file system that cannot reserve is not asked again.
        if (file_.reserve(file_.size() + kReserveBytes)) {
            reserved_to_ = file_.size() + kReserveBytes;
        } else if (errno == EOPNOTSUPP) {
            reserved_to_ = std::numeric_limits<std::uint64_t>::max();
        }
    }
}

bool AckLog::rewrite(const std::vector<std::uint64_t>& seqs, std::string& error) {
    auto fresh = write_compacted(seqs, error);
    return fresh && install(std::move(*fresh), {}, error) &&
           sync_directory(path_.parent_path(), error);
}

std::optional<SegmentFile> AckLog::write_compacted(const std::vector<std::uint64_t>& seqs,
                                                   std::string& error) const {
    std::filesystem::path temp = path_;
    temp += ".new";
    std::error_code ec;
    std::filesystem::remove(temp, ec);  // a leftover of an interrupted rewrite
    auto fresh = SegmentFile::create(temp, error);
    if (!fresh) {
        return std::nullopt;
    }
    std::string bytes;
    bytes.reserve(seqs.size() * kEntrySize);
    for (std::uint64_t seq : seqs) {
        encode_entry(seq, bytes);
    }
    if (!fresh->append(bytes, error) || !fresh->sync(error)) {
        return std::nullopt;
    }
    return fresh;
}

bool AckLog::install(SegmentFile fresh, const std::vector<std::uint64_t>& late,
                     std::string& error) {
    std::string bytes;
    bytes.reserve(late.size() * kEntrySize);
    for (std::uint64_t seq : late) {
        encode_entry(seq, bytes);
    }
    // Not synced, like every append: a lost tail only means messages sent again.
    if (!bytes.empty() && !fresh.append(bytes, error)) {
        return false;
    }
    if (std::rename(fresh.path().c_str(), path_.c_str()) != 0) {
        error = "cannot rename " + fresh.path().string() + " to " + path_.string();
        return false;
    }
    file_ = std::move(fresh);
    pending_.clear();
    reserved_to_ = 0;
    keep_reserve();
    return true;
}

}  // namespace hubgate::spool
