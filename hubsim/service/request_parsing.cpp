#include "hubsim/service/request_parsing.hpp"

#include <charconv>
#include <cmath>
#include <set>

namespace hubsim {

namespace {

// Non-negative decimal integer, the whole text.
std::optional<uint64_t> parse_unsigned(const std::string& text) {
    uint64_t value = 0;
    const auto* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (text.empty() || ec != std::errc{} || ptr != end) {
        return std::nullopt;
    }
    return value;
}

std::optional<std::string> optional_string(const json& body, const char* name, std::string& error) {
    const auto it = body.find(name);
    if (it == body.end() || it->is_null()) {
        return std::nullopt;
    }
    if (!it->is_string()) {
        error = std::string("'") + name + "' must be a string";
        return std::nullopt;
    }
    return it->get<std::string>();
}

}  // namespace

std::optional<json> parse_json_body(const std::string& body, std::string& error) {
    auto parsed = json::parse(body, nullptr, false);
    if (parsed.is_discarded()) {
        error = "the request body is not valid JSON";
        return std::nullopt;
    }
    return parsed;
}

std::optional<C2dRequest> parse_c2d_request(const json& body, std::string& error) {
    static const std::set<std::string> known{"payload", "properties", "messageId", "correlationId",
                                             "ttlSeconds"};
    if (!body.is_object()) {
        error = "the body must be a JSON object";
        return std::nullopt;
    }
    for (const auto& [name, value] : body.items()) {
        if (!known.contains(name)) {
            error = "unknown member '" + name +
                    "' (allowed: payload, properties, messageId, correlationId, ttlSeconds)";
            return std::nullopt;
        }
    }
    C2dRequest request;
    const auto payload = body.find("payload");
    if (payload == body.end() || !payload->is_string()) {
        error = "'payload' (a string) is required";
        return std::nullopt;
    }
    request.payload = payload->get<std::string>();
    if (const auto props = body.find("properties"); props != body.end() && !props->is_null()) {
        if (!props->is_object()) {
            error = "'properties' must be an object of strings";
            return std::nullopt;
        }
        for (const auto& [name, value] : props->items()) {
            if (!value.is_string()) {
                error = "property '" + name + "' must be a string";
                return std::nullopt;
            }
            request.properties[name] = value.get<std::string>();
        }
    }
    request.message_id = optional_string(body, "messageId", error);
    request.correlation_id = optional_string(body, "correlationId", error);
    if (!error.empty()) {
        return std::nullopt;
    }
    if (const auto ttl = body.find("ttlSeconds"); ttl != body.end() && !ttl->is_null()) {
        if (!ttl->is_number_integer() || ttl->get<int64_t>() <= 0) {
            error = "'ttlSeconds' must be a positive integer";
            return std::nullopt;
        }
        request.ttl = std::chrono::seconds(ttl->get<int64_t>());
    }
    return request;
}

std::optional<Faults> parse_faults(const json& body, const Faults& current, std::string& error) {
    if (!body.is_object()) {
        error = "the body must be a JSON object";
        return std::nullopt;
    }
    Faults faults = current;
    for (const auto& [name, value] : body.items()) {
        if (name == "twinThrottleSeconds" || name == "pubackDelayMs") {
            if (!value.is_number_integer() || value.get<int64_t>() < 0 ||
                value.get<int64_t>() > 86400000) {
                error = "'" + name + "' must be a non-negative integer";
                return std::nullopt;
            }
            (name == "pubackDelayMs" ? faults.puback_delay_ms : faults.twin_throttle_seconds) =
                value.get<int>();
        } else if (name == "refuseConnects") {
            if (!value.is_boolean()) {
                error = "'refuseConnects' must be true or false";
                return std::nullopt;
            }
            faults.refuse_connects = value.get<bool>();
        } else if (name == "connectRate") {
            if (!value.is_number() || !std::isfinite(value.get<double>()) ||
                value.get<double>() < 0) {
                error = "'connectRate' must be a non-negative number (0 = unlimited)";
                return std::nullopt;
            }
            faults.connect_rate = value.get<double>();
        } else {
            error = "unknown member '" + name +
                    "' (allowed: twinThrottleSeconds, refuseConnects, connectRate, pubackDelayMs)";
            return std::nullopt;
        }
    }
    return faults;
}

json faults_to_json(const Faults& faults) {
    return {{"twinThrottleSeconds", faults.twin_throttle_seconds},
            {"refuseConnects", faults.refuse_connects},
            {"connectRate", faults.connect_rate},
            {"pubackDelayMs", faults.puback_delay_ms}};
}

std::optional<TelemetryQuery> parse_telemetry_query(const std::optional<std::string>& after,
                                                    const std::optional<std::string>& wait,
                                                    const std::optional<std::string>& device,
                                                    std::string& error) {
    TelemetryQuery query;
    if (after) {
        const auto value = parse_unsigned(*after);
        if (!value) {
            error = "'after' must be a non-negative integer";
            return std::nullopt;
        }
        query.after = *value;
    }
    if (wait) {
        const auto value = parse_unsigned(*wait);
        if (!value || *value > static_cast<uint64_t>(kMaxTelemetryWait.count())) {
            error = "'wait' must be an integer number of seconds from 0 to " +
                    std::to_string(kMaxTelemetryWait.count());
            return std::nullopt;
        }
        query.wait = std::chrono::seconds(*value);
    }
    if (device && !device->empty()) {
        query.device = *device;
    }
    return query;
}

}  // namespace hubsim
