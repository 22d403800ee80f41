#pragma once
// The wiring `hubgate run` needs between LocalLink and Spool, minus the mapping engine (every
// message goes to one device): tests use it to check the two together.

#include <string>

#include "gateway/spool/spool.hpp"
#include "gateway/transport/local_link.hpp"

namespace hubgate::transport::test {

inline LocalLinkHandlers spool_handlers(spool::Spool& spool, std::string device) {
    LocalLinkHandlers handlers;
    handlers.on_message = [&spool, device](const InboundMessage& message) {
        spool::SpoolMessage stored;
        stored.device_id = device;
        stored.kind = spool::RecordKind::telemetry;
        stored.payload = std::string(message.payload);
        stored.source = {static_cast<std::uint32_t>(message.packet_id),
                         spool::source_digest(message.topic, message.payload)};
        return spool.append(std::move(stored)).status == spool::AppendStatus::ok
                   ? InboundVerdict::taken
                   : InboundVerdict::refused;
    };
    handlers.commit = [&spool] { return spool.commit(); };
    handlers.can_accept = [&spool] { return spool.has_room(); };
    handlers.on_connection_change = [&spool](bool connected, bool session_resumed) {
        if (connected && !session_resumed) {
            spool.forget_recent_sources();
        }
    };
    return handlers;
}

}  // namespace hubgate::transport::test
