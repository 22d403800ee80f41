#pragma once
// Reads one MQTT 3.1.1 packet from the front of bytes peeked off the local link's socket (pure
// logic, no I/O). The link uses it to handle PUBLISHes that libmosquitto has not read yet, while
// the previous batch syncs (local_link.hpp: "reading ahead").

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace hubgate::transport {

inline constexpr std::uint8_t kMqttPublish = 3;

// The first packet of a byte stream that starts at a packet boundary.
struct PeekedPacket {
    enum class Status {
        incomplete,  // more bytes needed
        malformed,   // not a valid packet: left to libmosquitto, which drops the connection
        complete,
    };
    Status status = Status::incomplete;
    std::uint8_t type = 0;   // control packet type (3: PUBLISH)
    std::size_t length = 0;  // of the whole packet, fixed header included
    // PUBLISH only; views into the peeked bytes.
    std::string_view topic;
    std::string_view payload;
    int qos = 0;
    bool retain = false;
    int packet_id = 0;  // 0 for QoS 0
};

PeekedPacket peek_packet(std::string_view bytes);

}  // namespace hubgate::transport
