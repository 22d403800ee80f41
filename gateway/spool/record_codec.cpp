#include "gateway/spool/record_codec.hpp"

#include "gateway/spool/crc32.hpp"

namespace hubgate::spool::record {
namespace {

template <typename Int>
void store_le(char* at, Int value) {
    for (std::size_t i = 0; i < sizeof(Int); ++i) {
        at[i] = static_cast<char>((value >> (8 * i)) & 0xFFU);
    }
}

// Whole fields at a time: a byte-wise push_back was ~800 instructions per record.
void put_u32(std::string& out, std::uint32_t value) {
    char bytes[4];
    store_le(bytes, value);
    out.append(bytes, sizeof bytes);
}

void put_u64(std::string& out, std::uint64_t value) {
    char bytes[8];
    store_le(bytes, value);
    out.append(bytes, sizeof bytes);
}

void put_string(std::string& out, std::string_view text) {
    put_u32(out, static_cast<std::uint32_t>(text.size()));
    out.append(text);
}

std::uint64_t load_le(std::string_view bytes, std::size_t width) {
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < width; ++i) {
        value |= std::uint64_t{static_cast<unsigned char>(bytes[i])} << (8 * i);
    }
    return value;
}

// Reads fields front to back; any read past the end makes the whole body invalid.
class BodyReader {
  public:
    explicit BodyReader(std::string_view bytes) : rest_(bytes) {}

    bool u32(std::uint32_t& value) {
        if (rest_.size() < 4) {
            return false;
        }
        value = static_cast<std::uint32_t>(load_le(rest_, 4));
        rest_.remove_prefix(4);
        return true;
    }
    bool u64(std::uint64_t& value) {
        if (rest_.size() < 8) {
            return false;
        }
        value = load_le(rest_, 8);
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
    bool at_end() const { return rest_.empty(); }
    std::size_t remaining() const { return rest_.size(); }

  private:
    std::string_view rest_;
};

}  // namespace

std::string encode(const SpooledMessage& message) {
    const SpoolMessage& m = message.message;
    std::size_t estimate = kHeaderSize + 64 + m.device_id.size() + message.mid.size() +
                           m.kind.size() + m.topic.size() + m.payload.size();
    for (const auto& [name, value] : m.properties) {
        estimate += 8 + name.size() + value.size();
    }
    // One buffer: the header is filled in once the body's size and CRC are known.
    std::string out;
    out.reserve(estimate);
    out.resize(kHeaderSize);
    put_u64(out, message.seq);
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(message.enqueued.time_since_epoch());
    put_u64(out, static_cast<std::uint64_t>(ms.count()));
    put_string(out, m.device_id);
    put_string(out, message.mid);
    put_string(out, m.kind);
    put_string(out, m.topic);
    put_u32(out, static_cast<std::uint32_t>(m.properties.size()));
    for (const auto& [name, value] : m.properties) {
        put_string(out, name);
        put_string(out, value);
    }
    put_string(out, m.payload);
    put_u32(out, m.source.packet_id);
    put_u64(out, m.source.digest);

    const std::string_view body = std::string_view(out).substr(kHeaderSize);
    store_le(out.data(), kMagic);
    store_le(out.data() + 4, static_cast<std::uint32_t>(body.size()));
    store_le(out.data() + 8, crc32(body));
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

}  // namespace hubgate::spool

namespace hubgate::spool::record {

Header decode_header(std::string_view bytes, std::uint64_t max_body) {
    Header header;
    if (bytes.size() < kHeaderSize) {
        header.status = HeaderStatus::incomplete;
        return header;
    }
    if (load_le(bytes, 4) != kMagic) {
        header.status = HeaderStatus::invalid;
        return header;
    }
    header.body_size = static_cast<std::uint32_t>(load_le(bytes.substr(4), 4));
    header.crc = static_cast<std::uint32_t>(load_le(bytes.substr(8), 4));
    if (header.body_size > max_body) {
        header.status = HeaderStatus::invalid;
    } else if (bytes.size() - kHeaderSize < header.body_size) {
        header.status = HeaderStatus::incomplete;
    } else {
        header.status = HeaderStatus::ok;
    }
    return header;
}

std::optional<SpooledMessage> decode_body(std::string_view body) {
    BodyReader reader(body);
    SpooledMessage message;
    std::uint64_t enqueued_ms = 0;
    std::uint32_t property_count = 0;
    SpoolMessage& m = message.message;
    if (!reader.u64(message.seq) || !reader.u64(enqueued_ms) || !reader.string(m.device_id) ||
        !reader.string(message.mid) || !reader.string(m.kind) || !reader.string(m.topic) ||
        !reader.u32(property_count)) {
        return std::nullopt;
    }
    // Each property needs at least 8 bytes: bound the count before reserving anything.
    if (property_count > reader.remaining() / 8) {
        return std::nullopt;
    }
    m.properties.resize(property_count);
    for (auto& [name, value] : m.properties) {
        if (!reader.string(name) || !reader.string(value)) {
            return std::nullopt;
        }
    }
    if (!reader.string(m.payload) || !reader.u32(m.source.packet_id) ||
        !reader.u64(m.source.digest) || !reader.at_end()) {
        return std::nullopt;
    }
    // A stamp the clock type cannot represent is damage, not a date.
    constexpr auto kLatest = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::duration::max());
    if (enqueued_ms > static_cast<std::uint64_t>(kLatest.count())) {
        return std::nullopt;
    }
    message.enqueued = std::chrono::system_clock::time_point{
        std::chrono::milliseconds{static_cast<std::int64_t>(enqueued_ms)}};
    return message;
}

}  // namespace hubgate::spool::record
