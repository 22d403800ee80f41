#pragma once
// What the mapping engine answers: routes for each direction, rejections with a reason code, and
// "no rule matched". Plain data; string_views in them point into the MappingSet that produced
// them and stay valid as long as that MappingSet lives.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "hubgate/mappings/message_hook.hpp"

namespace hubgate::mappings {

// Where a rule was written: mapping file and 1-based line/column.
struct SourcePosition {
    std::string_view file;
    std::uint32_t line = 0;
    std::uint32_t column = 0;
};

// What an uplink (local device → IoT Hub) message becomes.
enum class UplinkKind : std::uint8_t {
    telemetry,     // devices/{id}/messages/events/{property_bag}
    reported,      // $iothub/twin/PATCH/properties/reported/?$rid=...
    twin_get,      // $iothub/twin/GET/?$rid=...; the answer goes back to the device
    method_reply,  // $iothub/methods/res/{status}/?$rid=...
    ignore,        // matched on purpose and dropped
};

// What a downlink (IoT Hub → local device) message is.
enum class DownlinkKind : std::uint8_t {
    c2d,          // cloud-to-device message
    desired,      // desired properties: the device's whole desired document (send = "state")
    method,       // direct-method request
    twin_answer,  // answer to a twin GET the device asked for
    // desired properties as the hub sends them: each patch, and the whole document after a
    // reconnect (`desired_patch`, or `desired` with send = "patch")
    desired_patch,
};
// Number of kinds, for per-kind arrays (new kinds are only ever appended).
inline constexpr std::size_t kDownlinkKindCount =
    static_cast<std::size_t>(DownlinkKind::desired_patch) + 1;

// Why one message was refused. The caller counts per reason and logs the text.
enum class RejectReason : std::uint8_t {
    invalid_device_id,        // rendered id breaks IoT Hub's rules (charset, length, empty)
    payload_not_json_object,  // a reported-properties patch must be a JSON object
    invalid_status,           // method reply status is not an integer in 100..999
    invalid_property,         // a hook produced a reserved or unknown system property
    hook_failed,              // a plugin hook returned an error
    unknown_device,           // downlink for a device neither seen nor in a static table
    no_downlink_template,     // the device's class has no template for that downlink kind
    missing_value,            // a template names a value this message/device does not have
    invalid_local_topic,      // a rendered local topic would contain + # NUL, start with $ or be
                              // empty, or a value from the cloud would add a level (see
                              // DownlinkVars)
};
// Number of reasons, for per-reason counter arrays (new reasons are only ever appended).
inline constexpr std::size_t kRejectReasonCount =
    static_cast<std::size_t>(RejectReason::invalid_local_topic) + 1;

// Stable snake_case name of a reason ("invalid_device_id"), for counters and logs.
std::string_view to_string(RejectReason reason);
std::string_view to_string(UplinkKind kind);  // "telemetry", "reported", "twin-get", ...
// "c2d", "desired", "method", "twin", "desired_patch": the `[devices.downlink]` keys.
std::string_view to_string(DownlinkKind kind);
// The kind a plugin's downlink hook is told: the ABI knows "c2d", "desired", "method", "twin"
// (desired_patch is "desired": its payload is a desired-properties object too).
std::string_view hook_kind_name(DownlinkKind kind);
std::optional<UplinkKind> uplink_kind_from_string(std::string_view text);
std::optional<DownlinkKind> downlink_kind_from_string(std::string_view text);

// One message refused by a rule, with the reason code and a human explanation.
struct Rejection {
    RejectReason reason;
    std::string text;
    SourcePosition rule;  // the rule that matched (file empty when none, e.g. unknown device)
};

// No rule's pattern matches the topic.
struct NoMatch {};

// A named capture taken from a local topic. `name` points into the MappingSet.
struct Capture {
    std::string_view name;
    std::string value;
};
using Captures = std::vector<Capture>;

// An uplink message routed to one IoT Hub device.
struct UplinkRoute {
    UplinkKind kind = UplinkKind::ignore;
    std::string device_id;          // validated; empty only for `ignore`
    std::string_view device_class;  // the [[devices]] name of the rule
    Captures captures;              // what DeviceDirectory::remember() stores
    std::string payload;            // after plugin transforms
    // telemetry: application and system properties (decoded), and the same encoded as the
    // property bag that follows `devices/{id}/messages/events/`.
    Properties properties;
    std::string property_bag;
    // method_reply: method name ("" = any method), the request id the device echoed, or
    // reply_to_oldest_pending when the device cannot echo one; and the status to report.
    // twin_get: request_id is the device's own {rid} (or ""), to render the answer with.
    std::string method;
    std::string request_id;
    bool reply_to_oldest_pending = false;
    int status = 200;
    // twin_get: local topic for the answer when the rule has `reply`; empty means render it with
    // render_downlink(DownlinkKind::twin_answer, {.status = ..., .rid = request_id}).
    std::string reply_topic;
    SourcePosition rule;
};

// Values a downlink template may use besides the device's captures. They come from the cloud (or,
// for a twin answer's {rid}, from the device's request): each must fill exactly one topic level,
// so a value holding '/', '+', '#' or NUL, or starting with '$' ({properties} excepted, whose
// system names keep "$."), makes render_downlink refuse the message as invalid_local_topic.
struct DownlinkVars {
    std::string_view method{};              // {method}: method name (method requests)
    std::string_view rid{};                 // {rid}: request id
    std::optional<int> status{};            // {status}: twin answer status
    std::optional<std::int64_t> version{};  // {version}: the desired document's $version
    // {properties}: a C2D message's properties as a property bag ("a=1&%24.mid=x"; "" for
    // none), percent-encoded so that no value can add a topic level or a wildcard.
    std::string_view properties{};
};

// A downlink message ready to publish on the local broker.
struct DownlinkRoute {
    std::string topic;
    std::string payload;
    bool retain = false;
    int qos = 1;
    // method: how long to wait for the legacy device's reply (rule `timeout`, default 30 s).
    std::chrono::milliseconds reply_timeout{0};
    std::string_view device_class;
    SourcePosition rule;
};

using UplinkResult = std::variant<UplinkRoute, Rejection, NoMatch>;
using DownlinkResult = std::variant<DownlinkRoute, Rejection>;

}  // namespace hubgate::mappings
