#include "gateway/spool/record_codec.hpp"

#include "gateway/spool/crc32.hpp"
#include "gateway/spool/little_endian.hpp"

namespace hubgate::spool::record {
namespace {

void put_u32(std::string& out, std::uint32_t value) {
    append_le(out, value, 4);
}

void put_u64(std::string& out, std::uint64_t value) {
    append_le(out, value, 8);
}

void put_string(std::string& out, std::string_view text) {
    put_u32(out, static_cast<std::uint32_t>(text.size()));
    out.append(text);
}

// Reads fields front to back; any read past the end makes the whole body invalid.
class BodyReader {
  public:
    explicit BodyReader(std::string_view bytes) : rest_(bytes) {}

    bool u32(std::uint32_t& value) {
        if (rest_.size() < 4) {
            return false;
        }
        value = static_cast<std::uint32_t>(load_le(rest_.data(), 4));
        rest_.remove_prefix(4);
        return true;
    }
    bool u64(std::uint64_t& value) {
        if (rest_.size() < 8) {
            return false;
        }
        value = load_le(rest_.data(), 8);
        rest_.remove_prefix(8);
        return true;
    }
    bool string(std::string& value) {
        std::uint32_t size = 0;
        if (!u32(size) || rest_.size() < size) {
            return false;
        }
        value.assign(rest_.substr(0, size));
        rest_.remove_prefix(size);
        return true;
    }
    bool u8(std::uint8_t& value) {
        if (rest_.empty()) {
            return false;
        }
        value = static_cast<std::uint8_t>(rest_.front());
        rest_.remove_prefix(1);
        return true;
    }
    bool at_end() const { return rest_.empty(); }
    std::size_t remaining() const { return rest_.size(); }

  private:
    std::string_view rest_;
};

// The enqueue stamp as a time point; false for one the clock type cannot represent (damage).
bool stamp_from_ms(std::uint64_t ms, std::chrono::system_clock::time_point& stamp) {
    constexpr auto kLatest = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::duration::max());
    if (ms > static_cast<std::uint64_t>(kLatest.count())) {
        return false;
    }
    stamp = std::chrono::system_clock::time_point{
        std::chrono::milliseconds{static_cast<std::int64_t>(ms)}};
    return true;
}

std::uint64_t stamp_to_ms(std::chrono::system_clock::time_point stamp) {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(stamp.time_since_epoch()).count());
}

// Fills in the header of a record whose body follows kHeaderSize bytes in `out`.
void seal(std::string& out, std::uint32_t magic) {
    const std::string_view body = std::string_view(out).substr(kHeaderSize);
    store_le(out.data(), magic, 4);
    store_le(out.data() + 4, body.size(), 4);
    store_le(out.data() + 8, crc32(body), 4);
}

}  // namespace

std::string encode(const SpooledMessage& message) {
    const SpoolMessage& m = message.message;
    std::size_t estimate = kHeaderSize + 64 + m.device_id.size() + message.mid.size() +
                           m.payload.size() + m.request_id.size() + m.reply_topic.size();
    for (const auto& [name, value] : m.properties) {
        estimate += 8 + name.size() + value.size();
    }
    // One buffer: the header is filled in once the body's size and CRC are known.
    std::string out;
    out.reserve(estimate);
    out.resize(kHeaderSize);
    put_u64(out, message.seq);
    put_u64(out, stamp_to_ms(message.enqueued));
    out.push_back(static_cast<char>(m.kind));
    put_string(out, m.device_id);
    put_string(out, message.mid);
    switch (m.kind) {
        case RecordKind::telemetry:
            put_u32(out, static_cast<std::uint32_t>(m.properties.size()));
            for (const auto& [name, value] : m.properties) {
                put_string(out, name);
                put_string(out, value);
            }
            put_string(out, m.payload);
            break;
        case RecordKind::reported:
            put_string(out, m.payload);
            break;
        case RecordKind::twin_get:
            put_string(out, m.request_id);
            put_string(out, m.reply_topic);
            break;
    }
    put_u32(out, m.source.packet_id);
    put_u64(out, m.source.digest);
    seal(out, kMagic);
    return out;
}

}  // namespace hubgate::spool::record

namespace hubgate::spool {

std::uint64_t source_digest(std::string_view topic, std::string_view payload) {
    std::uint64_t hash = 0xcbf29ce484222325ULL;
    auto mix = [&hash](std::string_view bytes) {
        for (unsigned char byte : bytes) {
            hash = (hash ^ byte) * 0x100000001b3ULL;
        }
    };
    mix(topic);
    mix(std::string_view("\0", 1));  // "ab"+"c" and "a"+"bc" must differ
    mix(payload);
    return hash;
}

std::string_view to_string(RecordKind kind) {
    switch (kind) {
        case RecordKind::telemetry:
            return "telemetry";
        case RecordKind::reported:
            return "reported";
        case RecordKind::twin_get:
            return "twin-get";
    }
    return "unknown";
}

std::optional<RecordKind> record_kind_from_byte(std::uint8_t byte) {
    switch (static_cast<RecordKind>(byte)) {
        case RecordKind::telemetry:
        case RecordKind::reported:
        case RecordKind::twin_get:
            return static_cast<RecordKind>(byte);
    }
    return std::nullopt;
}

}  // namespace hubgate::spool

namespace hubgate::spool::record {

Header decode_header(std::string_view bytes, std::uint64_t max_body) {
    Header header;
    if (bytes.size() < kHeaderSize) {
        header.status = HeaderStatus::incomplete;
        return header;
    }
    const auto magic = load_le(bytes.data(), 4);
    if (magic != kMagic && magic != kMagicV1) {
        header.status = HeaderStatus::invalid;
        return header;
    }
    header.format = magic == kMagic ? 2 : 1;
    header.body_size = static_cast<std::uint32_t>(load_le(bytes.data() + 4, 4));
    header.crc = static_cast<std::uint32_t>(load_le(bytes.data() + 8, 4));
    if (header.body_size > max_body) {
        header.status = HeaderStatus::invalid;
    } else if (bytes.size() - kHeaderSize < header.body_size) {
        header.status = HeaderStatus::incomplete;
    } else {
        header.status = HeaderStatus::ok;
    }
    return header;
}

std::size_t find_magic(std::string_view bytes, std::size_t from) {
    constexpr std::string_view kShared("HGS", 3);  // both magics as stored, less the last byte
    for (auto at = bytes.find(kShared, from); at != std::string_view::npos;
         at = bytes.find(kShared, at + 1)) {
        if (at + 4 <= bytes.size() && (bytes[at + 3] == '2' || bytes[at + 3] == 'P')) {
            return at;
        }
    }
    return std::string_view::npos;
}

namespace {

// Reads `count` name/value pairs; the count is bounded by what is left (each pair needs at
// least 8 bytes) before anything is reserved.
bool read_properties(BodyReader& reader, Properties& properties) {
    std::uint32_t count = 0;
    if (!reader.u32(count) || count > reader.remaining() / 8) {
        return false;
    }
    properties.resize(count);
    for (auto& [name, value] : properties) {
        if (!reader.string(name) || !reader.string(value)) {
            return false;
        }
    }
    return true;
}

// The kind's fields of a format 2 body.
bool read_fields(BodyReader& reader, SpoolMessage& m) {
    switch (m.kind) {
        case RecordKind::telemetry:
            return read_properties(reader, m.properties) && reader.string(m.payload);
        case RecordKind::reported:
            return reader.string(m.payload);
        case RecordKind::twin_get:
            return reader.string(m.request_id) && reader.string(m.reply_topic);
    }
    return false;
}

// The typed record a format 1 record of the spool stands for: its kind was a string, a twin GET
// kept its request id and reply topic in the properties, the local topic is dropped.
std::optional<SpooledMessage> typed_from_format1(Format1Record old) {
    SpooledMessage message;
    message.seq = old.seq;
    message.enqueued = old.enqueued;
    message.mid = std::move(old.mid);
    SpoolMessage& m = message.message;
    m.device_id = std::move(old.device_id);
    m.source = old.source;
    if (old.kind.empty() || old.kind == "telemetry") {
        m.kind = RecordKind::telemetry;
        m.properties = std::move(old.properties);
        m.payload = std::move(old.payload);
    } else if (old.kind == "reported") {
        m.kind = RecordKind::reported;
        m.payload = std::move(old.payload);
    } else if (old.kind == "twin-get") {
        m.kind = RecordKind::twin_get;
        for (auto& [name, value] : old.properties) {
            if (name == "rid") {
                m.request_id = std::move(value);
            } else if (name == "reply") {
                m.reply_topic = std::move(value);
            }
        }
    } else {
        return std::nullopt;  // a kind this hubgate does not know: sending it could mislead
    }
    return message;
}

}  // namespace

std::optional<SpooledMessage> decode_body(std::string_view body, std::uint8_t format) {
    if (format == 1) {
        auto old = decode_format1(body);
        return old ? typed_from_format1(std::move(*old)) : std::nullopt;
    }
    BodyReader reader(body);
    SpooledMessage message;
    std::uint64_t enqueued_ms = 0;
    std::uint8_t kind_byte = 0;
    SpoolMessage& m = message.message;
    if (format != 2 || !reader.u64(message.seq) || !reader.u64(enqueued_ms) ||
        !reader.u8(kind_byte)) {
        return std::nullopt;
    }
    const auto kind = record_kind_from_byte(kind_byte);
    if (!kind) {
        return std::nullopt;
    }
    m.kind = *kind;
    if (!reader.string(m.device_id) || !reader.string(message.mid) || !read_fields(reader, m) ||
        !reader.u32(m.source.packet_id) || !reader.u64(m.source.digest) || !reader.at_end() ||
        !stamp_from_ms(enqueued_ms, message.enqueued)) {
        return std::nullopt;
    }
    return message;
}

std::string encode_format1(const Format1Record& record) {
    std::size_t estimate = kHeaderSize + 64 + record.device_id.size() + record.mid.size() +
                           record.kind.size() + record.topic.size() + record.payload.size();
    for (const auto& [name, value] : record.properties) {
        estimate += 8 + name.size() + value.size();
    }
    std::string out;
    out.reserve(estimate);
    out.resize(kHeaderSize);
    put_u64(out, record.seq);
    put_u64(out, stamp_to_ms(record.enqueued));
    put_string(out, record.device_id);
    put_string(out, record.mid);
    put_string(out, record.kind);
    put_string(out, record.topic);
    put_u32(out, static_cast<std::uint32_t>(record.properties.size()));
    for (const auto& [name, value] : record.properties) {
        put_string(out, name);
        put_string(out, value);
    }
    put_string(out, record.payload);
    put_u32(out, record.source.packet_id);
    put_u64(out, record.source.digest);
    seal(out, kMagicV1);
    return out;
}

std::optional<Format1Record> decode_format1(std::string_view body) {
    BodyReader reader(body);
    Format1Record record;
    std::uint64_t enqueued_ms = 0;
    if (!reader.u64(record.seq) || !reader.u64(enqueued_ms) || !reader.string(record.device_id) ||
        !reader.string(record.mid) || !reader.string(record.kind) || !reader.string(record.topic) ||
        !read_properties(reader, record.properties) || !reader.string(record.payload) ||
        !reader.u32(record.source.packet_id) || !reader.u64(record.source.digest) ||
        !reader.at_end() || !stamp_from_ms(enqueued_ms, record.enqueued)) {
        return std::nullopt;
    }
    return record;
}

}  // namespace hubgate::spool::record
