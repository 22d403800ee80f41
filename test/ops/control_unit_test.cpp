// The status snapshot's JSON form and the table `hubgate status` prints from it.
#include <doctest/doctest.h>

#include "gateway/control/device_view.hpp"
#include "gateway/control/status_snapshot.hpp"
#include "gateway/control/status_table.hpp"
#include "gateway/session/session_state.hpp"

using namespace hubgate::control;
using namespace std::chrono_literals;

namespace {

// 2026-11-26T12:00:00Z
const WallTime kNoon = WallTime{} + std::chrono::seconds(1795694400);

SessionStatus session(std::string id, std::string state, std::optional<WallTime> since,
                      std::optional<WallTime> backoff_until, std::string reason,
                      std::optional<WallTime> token_expiry) {
    SessionStatus s;
    s.device_id = std::move(id);
    s.state = std::move(state);
    s.since = since;
    s.backoff_until = backoff_until;
    s.reason = std::move(reason);
    s.token_expiry = token_expiry;
    return s;
}

StatusSnapshot two_sessions() {
    StatusSnapshot snapshot;
    snapshot.sessions.push_back(
        session("line-1", "connected", kNoon, std::nullopt, "", kNoon + 1h));
    snapshot.sessions.push_back(
        session("meter-7", "refused", std::nullopt, kNoon + 10min, "not authorized", std::nullopt));
    snapshot.counters = {{"messages_routed", 41}, {"messages_rejected", 3}};
    return snapshot;
}

}  // namespace

TEST_CASE("times are whole-second UTC in RFC 3339 form") {
    CHECK(format_utc(kNoon) == "2026-11-26T12:00:00Z");
    CHECK(format_utc(kNoon + 1500ms) == "2026-11-26T12:00:01Z");
}

TEST_CASE("the snapshot's JSON has every session field, null when unknown") {
    auto json = to_json(two_sessions());
    CHECK(json["version"] == kStatusFormatVersion);
    REQUIRE(json["sessions"].size() == 2);
    const auto& first = json["sessions"][0];
    CHECK(first["device_id"] == "line-1");
    CHECK(first["state"] == "connected");
    CHECK(first["since"] == "2026-11-26T12:00:00Z");
    CHECK(first["backoff_until"].is_null());
    CHECK(first["token_expiry"] == "2026-11-26T13:00:00Z");
    const auto& second = json["sessions"][1];
    CHECK(second["backoff_until"] == "2026-11-26T12:10:00Z");
    CHECK(second["reason"] == "not authorized");
    CHECK(second["since"].is_null());
    // Counters keep the daemon's order.
    CHECK(json["counters"].dump() == R"({"messages_routed":41,"messages_rejected":3})");
}

TEST_CASE("the session manager's snapshot maps onto a status row") {
    hubgate::session::SessionSnapshot snapshot;
    snapshot.device_id = "dev";
    snapshot.state = hubgate::session::SessionState::BackingOff;
    snapshot.retry_at = kNoon;
    snapshot.reason = "connection lost";
    auto status = to_session_status(snapshot);
    CHECK(status.device_id == "dev");
    CHECK(status.state == hubgate::session::to_string(snapshot.state));
    CHECK(status.backoff_until == kNoon);
    CHECK(status.reason == "connection lost");
    CHECK_FALSE(status.since.has_value());
}

TEST_CASE("the table lists sessions, a per-state summary and counters") {
    auto table = format_status_table(to_json(two_sessions()));
    CHECK(table ==
          "DEVICE   STATE      SINCE                 RETRY-AT              TOKEN-EXPIRES         "
          "REASON\n"
          "line-1   connected  2026-11-26T12:00:00Z  -                     2026-11-26T13:00:00Z  "
          "-\n"
          "meter-7  refused    -                     2026-11-26T12:10:00Z  -                     "
          "not authorized\n"
          "2 sessions: 1 connected, 1 refused\n"
          "\n"
          "COUNTER            VALUE\n"
          "messages_routed    41\n"
          "messages_rejected  3\n");
}

TEST_CASE("a status without sessions or counters still prints both headers") {
    auto table = format_status_table(nlohmann::ordered_json::object());
    CHECK(table.find("DEVICE") == 0);
    CHECK(table.find("0 sessions\n") != std::string::npos);
    CHECK(table.find("COUNTER") != std::string::npos);
}

TEST_CASE("one device's answer carries its counters and the status answer does not") {
    auto line = two_sessions().sessions[0];
    line.state_since = kNoon;
    line.last_uplink = kNoon + 5min;
    line.spool_messages = 3;
    line.spool_bytes = 420;
    line.counters = {{"connects", 1}, {"telemetry_acked", 12}};
    line.hub = "plant-b.azure-devices.net";
    const auto device = to_device_json(line)["device"];
    CHECK(device["state_since"] == "2026-11-26T12:00:00Z");
    CHECK(device["last_uplink"] == "2026-11-26T12:05:00Z");
    CHECK(device["last_downlink"].is_null());
    CHECK(device["spool"]["messages"] == 3);
    CHECK(device["spool"]["bytes"] == 420);
    CHECK(device["counters"]["telemetry_acked"] == 12);
    CHECK(device["hub"] == "plant-b.azure-devices.net");

    StatusSnapshot snapshot;
    snapshot.sessions.push_back(line);
    const auto status = to_json(snapshot);
    CHECK(status["sessions"][0]["spool"]["messages"] == 3);
    CHECK_FALSE(status["sessions"][0].contains("counters"));

    const auto detail = format_device_detail(device);
    CHECK(detail.find("connected since 2026-11-26T12:00:00Z") != std::string::npos);
    CHECK(detail.find("3 messages, 420 bytes") != std::string::npos);
    CHECK(detail.find("LAST-DOWNLINK    -\n") != std::string::npos);
    CHECK(detail.find("telemetry_acked  12") != std::string::npos);
    CHECK(detail.find("HUB              plant-b.azure-devices.net\n") != std::string::npos);
    // Each device's line names its hub.
    const auto lines = format_device_lines(status, std::nullopt);
    CHECK(lines.find("HUB") != std::string::npos);
    CHECK(lines.find("plant-b.azure-devices.net") != std::string::npos);
}

TEST_CASE("hubgate devices lists one line per device, or those in one state") {
    const auto status = to_json(two_sessions());
    const auto all = format_device_lines(status, std::nullopt);
    CHECK(all.starts_with("DEVICE"));
    CHECK(all.find("line-1") != std::string::npos);
    CHECK(all.find("meter-7") != std::string::npos);
    const auto refused = format_device_lines(status, std::string("refused"));
    CHECK(refused.find("line-1") == std::string::npos);
    CHECK(refused.find("meter-7  refused") != std::string::npos);
    CHECK(devices_in_state(status, std::string("connected")).size() == 1);
    const auto states = device_states();
    CHECK(states.front() == "idle");
    CHECK(states.back() == "no-session");
}
