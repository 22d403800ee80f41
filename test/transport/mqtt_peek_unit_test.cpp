// peek_packet: the MQTT 3.1.1 framing the local link reads ahead with.
#include <doctest/doctest.h>

#include <string>

#include "gateway/transport/mqtt_peek.hpp"

using hubgate::transport::peek_packet;
using hubgate::transport::PeekedPacket;
using Status = PeekedPacket::Status;

namespace {

std::string publish_packet(const std::string& topic, const std::string& payload, int qos,
                           int packet_id) {
    std::string body;
    body += static_cast<char>(topic.size() >> 8);
    body += static_cast<char>(topic.size() & 0xff);
    body += topic;
    if (qos > 0) {
        body += static_cast<char>(packet_id >> 8);
        body += static_cast<char>(packet_id & 0xff);
    }
    body += payload;
    std::string packet(1, static_cast<char>(0x30 | (qos << 1)));
    std::size_t length = body.size();
    do {
        auto byte = static_cast<unsigned char>(length & 0x7f);
        length >>= 7;
        packet += static_cast<char>(length > 0 ? byte | 0x80 : byte);
    } while (length > 0);
    return packet + body;
}

}  // namespace

TEST_CASE("peek_packet: a QoS 1 PUBLISH, whole and in pieces") {
    const std::string payload(200, 'p');  // a two-byte remaining length
    const std::string packet = publish_packet("dev/1", payload, 1, 0x1234);
    const std::string stream = packet + "next";  // the views point into it
    const PeekedPacket whole = peek_packet(stream);
    REQUIRE(whole.status == Status::complete);
    CHECK(whole.type == hubgate::transport::kMqttPublish);
    CHECK(whole.length == packet.size());
    CHECK(whole.topic == "dev/1");
    CHECK(whole.payload == payload);
    CHECK(whole.qos == 1);
    CHECK(whole.packet_id == 0x1234);
    for (std::size_t cut = 0; cut < packet.size(); ++cut) {
        CHECK(peek_packet(packet.substr(0, cut)).status == Status::incomplete);
    }
    CHECK(peek_packet(packet.substr(0, 10)).length == packet.size());  // known once the header is
}

TEST_CASE("peek_packet: QoS 0 and retained, control packets, and malformed input") {
    const std::string retained("\x31\x06\x00\x01tabc", 8);
    const PeekedPacket qos0 = peek_packet(retained);
    REQUIRE(qos0.status == Status::complete);
    CHECK(qos0.retain);
    CHECK(qos0.packet_id == 0);
    CHECK(qos0.topic == "t");
    CHECK(qos0.payload == "abc");
    const PeekedPacket pingresp = peek_packet(std::string("\xd0\x00", 2));
    REQUIRE(pingresp.status == Status::complete);
    CHECK(pingresp.type == 13);
    CHECK(pingresp.length == 2);
    CHECK(peek_packet(std::string("\x36\x03\x00\x01t", 5)).status == Status::malformed);  // QoS 3
    CHECK(peek_packet(std::string("\x30\x02\x00\x05", 4)).status == Status::malformed);   // topic
    CHECK(peek_packet(std::string("\x32\x03\x00\x01t", 5)).status == Status::malformed);  // no id
    CHECK(peek_packet("\x30\xff\xff\xff\xff\x01").status == Status::malformed);  // 5-byte length
}
