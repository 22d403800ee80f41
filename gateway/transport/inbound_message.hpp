#pragma once
// What the local link hands to its owner for each message from the local broker.

#include <string_view>

namespace hubgate::transport {

// One message read from the local broker. The views are valid only during the handler call.
struct InboundMessage {
    std::string_view topic;
    std::string_view payload;
    int qos = 0;
    bool retain = false;
    // MQTT packet id (0 for QoS 0): with the content, identifies a redelivery of this message
    // within the broker session (spool::SourceRef).
    int packet_id = 0;
};

// The handler's answer, which is the acknowledgement decision for the message (libmosquitto
// has no manual PUBACK; see LocalLinkHandlers::on_message).
enum class InboundVerdict {
    // Stored durably, or deliberately discarded (unmappable, invalid: counted by the caller).
    // The broker may forget it once the current batch is committed.
    taken,
    // Could not be stored (spool full, disk error). The link drops the connection without
    // acknowledging anything not yet released, so the broker keeps and redelivers it.
    refused,
};

}  // namespace hubgate::transport
