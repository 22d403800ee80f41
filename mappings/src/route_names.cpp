#include <array>

#include "hubgate/mappings/route.hpp"

namespace hubgate::mappings {

namespace {

constexpr std::array<std::string_view, 5> kUplinkNames = {"telemetry", "reported", "twin-get",
                                                          "method-reply", "ignore"};
constexpr std::array<std::string_view, kDownlinkKindCount> kDownlinkNames = {
    "c2d", "desired", "method", "twin", "desired_patch"};

}  // namespace

std::string_view to_string(RejectReason reason) {
    switch (reason) {
        case RejectReason::invalid_device_id:
            return "invalid_device_id";
        case RejectReason::payload_not_json_object:
            return "payload_not_json_object";
        case RejectReason::invalid_status:
            return "invalid_status";
        case RejectReason::invalid_property:
            return "invalid_property";
        case RejectReason::hook_failed:
            return "hook_failed";
        case RejectReason::unknown_device:
            return "unknown_device";
        case RejectReason::no_downlink_template:
            return "no_downlink_template";
        case RejectReason::missing_value:
            return "missing_value";
        case RejectReason::invalid_local_topic:
            return "invalid_local_topic";
    }
    return "unknown";
}

std::string_view to_string(UplinkKind kind) {
    return kUplinkNames.at(static_cast<size_t>(kind));
}

std::string_view to_string(DownlinkKind kind) {
    return kDownlinkNames.at(static_cast<size_t>(kind));
}

std::string_view hook_kind_name(DownlinkKind kind) {
    return kind == DownlinkKind::desired_patch ? to_string(DownlinkKind::desired) : to_string(kind);
}

std::optional<UplinkKind> uplink_kind_from_string(std::string_view text) {
    for (std::size_t i = 0; i < kUplinkNames.size(); ++i) {
        if (kUplinkNames[i] == text) {
            return static_cast<UplinkKind>(i);
        }
    }
    return std::nullopt;
}

std::optional<DownlinkKind> downlink_kind_from_string(std::string_view text) {
    for (std::size_t i = 0; i < kDownlinkNames.size(); ++i) {
        if (kDownlinkNames[i] == text) {
            return static_cast<DownlinkKind>(i);
        }
    }
    return std::nullopt;
}

}  // namespace hubgate::mappings
