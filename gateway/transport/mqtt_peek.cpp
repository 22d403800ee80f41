#include "gateway/transport/mqtt_peek.hpp"

namespace hubgate::transport {
namespace {

constexpr std::size_t kMaxLengthBytes = 4;  // the remaining length is at most 4 bytes long

PeekedPacket malformed() {
    PeekedPacket packet;
    packet.status = PeekedPacket::Status::malformed;
    return packet;
}

// Fills the PUBLISH fields from the variable header and payload (`body`).
PeekedPacket parse_publish(std::uint8_t first, std::string_view body, PeekedPacket packet) {
    packet.qos = (first >> 1) & 0x3;
    packet.retain = (first & 0x1) != 0;
    if (packet.qos == 3 || body.size() < 2) {
        return malformed();
    }
    const std::size_t topic_length =
        (static_cast<std::size_t>(static_cast<std::uint8_t>(body[0])) << 8) |
        static_cast<std::uint8_t>(body[1]);
    std::size_t at = 2 + topic_length;
    if (topic_length == 0 || at > body.size()) {
        return malformed();
    }
    packet.topic = body.substr(2, topic_length);
    if (packet.qos > 0) {
        if (at + 2 > body.size()) {
            return malformed();
        }
        packet.packet_id =
            (static_cast<std::uint8_t>(body[at]) << 8) | static_cast<std::uint8_t>(body[at + 1]);
        at += 2;
        if (packet.packet_id == 0) {
            return malformed();
        }
    }
    packet.payload = body.substr(at);
    return packet;
}

}  // namespace

PeekedPacket peek_packet(std::string_view bytes) {
    PeekedPacket packet;
    if (bytes.empty()) {
        return packet;
    }
    const auto first = static_cast<std::uint8_t>(bytes[0]);
    std::size_t remaining = 0;
    std::size_t header = 1;
    for (std::size_t shift = 0;; shift += 7) {
        if (header > kMaxLengthBytes) {
            return malformed();
        }
        if (header >= bytes.size()) {
            return packet;  // the length itself is not all there yet
        }
        const auto byte = static_cast<std::uint8_t>(bytes[header++]);
        remaining |= static_cast<std::size_t>(byte & 0x7f) << shift;
        if ((byte & 0x80) == 0) {
            break;
        }
    }
    packet.type = first >> 4;
    packet.length = header + remaining;
    if (bytes.size() < packet.length) {
        return packet;
    }
    packet.status = PeekedPacket::Status::complete;
    if (packet.type != kMqttPublish) {
        return packet;
    }
    return parse_publish(first, bytes.substr(header, remaining), packet);
}

}  // namespace hubgate::transport
