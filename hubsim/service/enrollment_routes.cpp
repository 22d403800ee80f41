// The DPS routes: one guard (token for a host name and a right, counting) around DpsService calls.
#include "hubsim/service/enrollment_routes.hpp"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <functional>

#include "hubgate/iothub/sas_token.hpp"
#include "hubsim/common/wall_clock.hpp"
#include "hubsim/service/json_reply.hpp"
#include "hubsim/service/request_parsing.hpp"
#include "hubsim/service/service_auth.hpp"

namespace hubsim {

namespace {

using Request = httplib::Request;
using Response = httplib::Response;
using Body = std::function<ServiceResult(const Request&)>;

// Route handlers that authorize against `hostname()` with `right`, then answer with `body`.
struct Guard {
    HubService& hub;
    ServiceCounters& counters;

    httplib::Server::Handler operator()(std::function<std::string()> hostname, std::string right,
                                        Body body) const {
        return [hub = &hub, counters = &counters, hostname = std::move(hostname),
                right = std::move(right),
                body = std::move(body)](const Request& request, Response& response) {
            ++counters->requests;
            const auto authorization =
                request.has_header("Authorization")
                    ? std::optional<std::string>(request.get_header_value("Authorization"))
                    : std::nullopt;
            const auto decision = authorize_service_request(
                authorization, hostname(), right,
                [hub](const std::string& policy, const std::string& needed) {
                    return hub->policy_key(policy, needed);
                },
                epoch_seconds());
            if (!decision.accepted) {
                ++counters->unauthorized;
                spdlog::warn("hubsim service: 401 for {} {}: {} (token: {})", request.method,
                             request.path, decision.reason,
                             authorization ? hubgate::iothub::redact_sas_token(*authorization)
                                           : std::string("none"));
                write_result(error_result(401, "Unauthorized", decision.reason), response);
                return;
            }
            const auto result = body(request);
            if (result.status == 400)
                ++counters->bad_requests;  // refused input is counted, never silent
            write_result(result, response);
        };
    }
};

ServiceResult with_json(ServiceCounters& counters, const Request& request,
                        const std::function<ServiceResult(const json&)>& use) {
    std::string error;
    const auto body = parse_json_body(request.body, error);
    if (!body) {
        ++counters.bad_requests;
        return error_result(400, "ArgumentInvalid", error);
    }
    return use(*body);
}

}  // namespace

void add_enrollment_routes(httplib::Server& server, HubService& hub, DpsService& dps,
                           ServiceCounters& counters) {
    const Guard guard{hub, counters};
    const auto dps_host = [&dps] { return dps.service_hostname(); };
    const auto hub_host = [&hub] { return hub.hostname(); };
    server.Put(R"(/enrollmentGroups/([^/]+))",
               guard(dps_host, "EnrollmentWrite", [&dps, &counters](const Request& r) {
                   return with_json(counters, r, [&](const json& body) {
                       return dps.put_enrollment_group(r.matches[1], body);
                   });
               }));
    server.Get(R"(/enrollmentGroups/([^/]+))",
               guard(dps_host, "EnrollmentRead",
                     [&dps](const Request& r) { return dps.get_enrollment_group(r.matches[1]); }));
    server.Delete(R"(/enrollmentGroups/([^/]+))",
                  guard(dps_host, "EnrollmentWrite", [&dps](const Request& r) {
                      return dps.delete_enrollment_group(r.matches[1]);
                  }));
    server.Get("/hubsim/dps", guard(hub_host, "ServiceConnect",
                                    [&dps](const Request&) { return dps.dps_state(); }));
    server.Put("/hubsim/dps/faults",
               guard(hub_host, "ServiceConnect", [&dps, &counters](const Request& r) {
                   return with_json(counters, r,
                                    [&](const json& body) { return dps.set_dps_faults(body); });
               }));
}

}  // namespace hubsim
