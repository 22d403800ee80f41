#pragma once
// Device → cloud: every message the local link takes from the local broker goes through here.
// It is routed by the mapping engine; telemetry, reported patches and twin requests are written
// to the spool before this returns (so the local broker's PUBACK only follows the spool write)
// and the spool sender is told. Method replies go to the waiting call (method_calls.hpp) and from
// there to the device's session, never to the spool: the hub's
// method request lives only as long as the session that received it, so a reply kept across a
// restart or an outage would answer a request the hub has already failed.

#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/core/active_mappings.hpp"
#include "gateway/core/bridge_counters.hpp"
#include "gateway/core/device_needs.hpp"
#include "gateway/core/device_registry.hpp"
#include "gateway/core/hub_link.hpp"
#include "gateway/core/method_calls.hpp"
#include "gateway/core/poison_guard.hpp"
#include "gateway/core/spool_sender.hpp"
#include "gateway/spool/spool.hpp"
#include "hubgate/mappings/mapping_set.hpp"

namespace hubgate::core {

// What became of one local message.
enum class UplinkOutcome {
    accepted,  // stored in the spool (method replies: handed to the hub thread)
    refused,   // refused for good (counted and logged): acknowledge it so it is not sent again
    retry,     // could not be stored now (spool full or failing): do not acknowledge it
};

// IoT Hub closes a connection that sends a D2C message above 256 KB (payload plus properties).
inline constexpr std::size_t kMaxTelemetryBytes = 256 * 1024;

// Everything the uplink side works with; all must outlive the pipeline.
struct UplinkDeps {
    const ActiveMappings& mappings;
    DeviceRegistry& devices;
    spool::Spool& spool;
    SpoolSender& sender;
    HubLink& hub;
    // Method replies go here (posted to the hub thread, where the calls wait).
    MethodCalls& methods;
    BridgeCounters& counters;
    // Keeps messages that crashed plugins out of them (see poison_guard.hpp); none if nullptr.
    PoisonGuard* guard = nullptr;
};

// Routes local messages. handle() is called from the local link's thread only.
class UplinkPipeline {
  public:
    explicit UplinkPipeline(UplinkDeps deps)
        : deps_(deps), needs_(deps.mappings, deps.devices), guard_(deps.guard) {}

    // `packet_id`: the local PUBLISH's MQTT packet id (0 for QoS 0). With the topic and payload
    // it lets the spool recognise the local broker redelivering a message it already holds, so a
    // redelivery keeps its original $.mid instead of becoming a second message.
    UplinkOutcome handle(std::string_view topic, std::string_view payload, uint32_t packet_id = 0);

    // At start-up, opens the sessions of devices that must receive downlinks before they
    // publish again: the configured ones, and (when `seen_devices`) every device remembered in
    // the state directory whose mapping has a downlink.
    void open_startup_sessions(const std::vector<std::string>& configured, bool seen_devices);

  private:
    // What a routed message becomes (ignored, refused as too large, spooled or posted).
    UplinkOutcome dispatch(std::string_view topic, std::string_view payload, uint32_t packet_id,
                           mappings::UplinkRoute& route);
    UplinkOutcome telemetry(std::string_view topic, mappings::UplinkRoute& route,
                            spool::SourceRef source);
    UplinkOutcome reported(std::string_view topic, mappings::UplinkRoute& route,
                           spool::SourceRef source);
    UplinkOutcome twin_get(std::string_view topic, mappings::UplinkRoute& route,
                           spool::SourceRef source);
    // Moves the record of `route` (its kind's fields already moved into `message`) into the
    // spool and tells the sender; `retry` when the spool cannot take it now.
    UplinkOutcome store(std::string_view topic, mappings::UplinkRoute& route,
                        spool::SpoolMessage&& message);
    UplinkOutcome method_reply(std::string_view topic, const mappings::UplinkRoute& route);
    // Tells the session manager about a device the first time (or with a wider need).
    void ensure_session(const mappings::UplinkRoute& route);

    UplinkDeps deps_;
    DeviceNeedsCache needs_;
    // Devices whose sessions were asked for, with what the rules of `rules_generation_` need:
    // a reload may give a class new downlinks, so the sets start again after one.
    std::set<std::string, std::less<>> sessions_opened_;
    std::set<std::string, std::less<>> twin_opened_;
    std::uint64_t rules_generation_ = 0;
    PoisonGuard* const guard_;
    // The last route's captures, emptied and reused by the next route_uplink(): one vector per
    // message was one allocation per message.
    mappings::Captures spare_captures_;
};

}  // namespace hubgate::core
