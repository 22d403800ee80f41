#pragma once
// Request bodies and query strings of the service API turned into HubService arguments. Pure
// functions: a bad request gives a message for a 400 answer, never an exception.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "hubsim/common/hub_service.hpp"

namespace hubsim {

// Longest long-poll a client may ask for (`wait`), so a request cannot hold a thread forever.
inline constexpr std::chrono::seconds kMaxTelemetryWait{120};

// A JSON body; nullopt (and `error`) when it is not valid JSON.
std::optional<json> parse_json_body(const std::string& body, std::string& error);

// POST /hubsim/devices/{id}/messages: {"payload": text, "properties": {name: text},
// "messageId"?, "correlationId"?, "ttlSeconds"?}.
std::optional<C2dRequest> parse_c2d_request(const json& body, std::string& error);

// PUT /hubsim/faults: the members given replace those of `current`; unknown members are refused.
std::optional<Faults> parse_faults(const json& body, const Faults& current, std::string& error);
json faults_to_json(const Faults& faults);

// GET /hubsim/telemetry?after=N&wait=SECONDS[&device=ID]
struct TelemetryQuery {
    uint64_t after = 0;
    std::chrono::milliseconds wait{0};
    std::optional<std::string> device;
};
std::optional<TelemetryQuery> parse_telemetry_query(const std::optional<std::string>& after,
                                                    const std::optional<std::string>& wait,
                                                    const std::optional<std::string>& device,
                                                    std::string& error);

}  // namespace hubsim
