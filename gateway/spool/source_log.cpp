#include "gateway/spool/source_log.hpp"

#include <cstdio>
#include <string_view>
#include <system_error>

#include "gateway/spool/crc32.hpp"
#include "gateway/spool/little_endian.hpp"

namespace hubgate::spool {
namespace {

constexpr std::size_t kFixedBytes = 4 + 8 + 8 + 1;  // packet id, digest, seq, mid length
constexpr std::size_t kCrcBytes = 4;

void encode(const RecentSources::Entry& entry, std::string& out) {
    const std::size_t start = out.size();
    // A $.mid is a 36-character UUID; anything longer than a length byte holds is cut (it then
    // never matches what the record says, which only costs a duplicate).
    const std::string_view mid = std::string_view(entry.mid).substr(0, 255);
    append_le(out, entry.packet_id, 4);
    append_le(out, entry.digest, 8);
    append_le(out, entry.seq, 8);
    append_le(out, mid.size(), 1);
    out.append(mid);
    append_le(out, crc32(std::string_view(out).substr(start)), 4);
}

// Decodes the entry at `at`; nullopt when it is torn or its checksum is wrong.
std::optional<RecentSources::Entry> decode(std::string_view bytes, std::size_t& at) {
    if (bytes.size() - at < kFixedBytes + kCrcBytes) {
        return std::nullopt;
    }
    const std::size_t mid_size = load_le(bytes.data() + at + kFixedBytes - 1, 1);
    const std::size_t size = kFixedBytes + mid_size + kCrcBytes;
    if (bytes.size() - at < size) {
        return std::nullopt;
    }
    const std::string_view body = bytes.substr(at, size - kCrcBytes);
    if (crc32(body) != load_le(bytes.data() + at + size - kCrcBytes, 4)) {
        return std::nullopt;
    }
    RecentSources::Entry entry;
    entry.packet_id = static_cast<std::uint32_t>(load_le(bytes.data() + at, 4));
    entry.digest = load_le(bytes.data() + at + 4, 8);
    entry.seq = load_le(bytes.data() + at + 12, 8);
    entry.mid = std::string(body.substr(kFixedBytes));
    at += size;
    return entry;
}

}  // namespace

std::optional<SourceLog> SourceLog::open(const std::filesystem::path& path, Contents& contents,
                                         std::string& error) {
    std::error_code ec;
    auto file = std::filesystem::exists(path, ec) ? SegmentFile::open(path, error)
                                                  : SegmentFile::create(path, error);
    if (!file) {
        return std::nullopt;
    }
    std::string bytes;
    if (!file->read_all(bytes, error)) {
        return std::nullopt;
    }
    std::size_t at = 0;
    while (at < bytes.size()) {
        auto entry = decode(bytes, at);
        if (!entry) {
            break;
        }
        contents.entries.push_back(std::move(*entry));
    }
    if (at < bytes.size()) {
        contents.damaged_bytes = bytes.size() - at;
        if (!file->truncate(at, error)) {
            return std::nullopt;
        }
    }
    return SourceLog(path, std::move(*file), contents.entries.size());
}

void SourceLog::add(const RecentSources::Entry& entry) {
    encode(entry, pending_.bytes);
    ++pending_.count;
}

bool SourceLog::write(const Pending& pending, std::string& error) {
    if (pending.count == 0) {
        return true;
    }
    if (!file_.append(pending.bytes, error)) {
        return false;
    }
    entries_written_ += pending.count;
    return true;
}

bool SourceLog::rewrite(std::uint64_t floor, const std::vector<RecentSources::Entry>& entries,
                        std::string& error) {
    std::filesystem::path temp = path_;
    temp += ".new";
    std::error_code ec;
    std::filesystem::remove(temp, ec);  // a leftover of an interrupted rewrite
    auto fresh = SegmentFile::create(temp, error);
    if (!fresh) {
        return false;
    }
    std::string bytes;
    if (floor > 0) {
        encode({0, 0, floor, {}}, bytes);
    }
    for (const auto& entry : entries) {
        encode(entry, bytes);
    }
    if (!fresh->append(bytes, error) || !fresh->sync(error)) {
        return false;
    }
    if (std::rename(temp.c_str(), path_.c_str()) != 0) {
        error = "cannot rename " + temp.string() + " to " + path_.string();
        return false;
    }
    if (!sync_directory(path_.parent_path(), error)) {
        return false;
    }
    file_ = std::move(*fresh);
    entries_written_ = entries.size() + (floor > 0 ? 1 : 0);
    return true;
}

}  // namespace hubgate::spool
