#include <doctest/doctest.h>

#include <set>
#include <string>

#include "hubgate/mappings/route.hpp"

using namespace hubgate::mappings;

TEST_CASE("every rejection reason has its own name") {
    std::set<std::string> names;
    for (std::size_t i = 0; i < kRejectReasonCount; ++i) {
        const std::string name(to_string(static_cast<RejectReason>(i)));
        CHECK(name != "unknown");
        names.insert(name);
    }
    CHECK(names.size() == kRejectReasonCount);
}

TEST_CASE("kind names round-trip") {
    for (auto kind : {UplinkKind::telemetry, UplinkKind::reported, UplinkKind::twin_get,
                      UplinkKind::method_reply, UplinkKind::ignore}) {
        CHECK(uplink_kind_from_string(to_string(kind)) == kind);
    }
    for (auto kind : {DownlinkKind::c2d, DownlinkKind::desired, DownlinkKind::method,
                      DownlinkKind::twin_answer, DownlinkKind::desired_patch}) {
        CHECK(downlink_kind_from_string(to_string(kind)) == kind);
    }
    CHECK(to_string(DownlinkKind::desired_patch) == "desired_patch");
    // Plugins keep seeing the kinds of the ABI: a patch is "desired" to them, as before.
    CHECK(hook_kind_name(DownlinkKind::desired_patch) == "desired");
    CHECK(hook_kind_name(DownlinkKind::twin_answer) == "twin");
    CHECK_FALSE(uplink_kind_from_string("Telemetry"));
    CHECK(to_string(DownlinkKind::twin_answer) == "twin");
}
