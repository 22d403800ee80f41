#include "hubsim/service/routes.hpp"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <ctime>
#include <functional>
#include <memory>
#include <random>

#include "hubgate/iothub/sas_token.hpp"
#include "hubsim/common/api_versions.hpp"
#include "hubsim/common/wall_clock.hpp"
#include "hubsim/service/json_reply.hpp"
#include "hubsim/service/request_parsing.hpp"
#include "hubsim/service/service_auth.hpp"

namespace hubsim {

namespace {

using Request = httplib::Request;
using Response = httplib::Response;
// A route body: gets the request (already authorized) and answers with a ServiceResult.
using RouteBody = std::function<ServiceResult(const Request&, HubService&)>;

std::optional<std::string> param(const Request& request, const char* name) {
    if (!request.has_param(name)) {
        return std::nullopt;
    }
    return request.get_param_value(name);
}

std::optional<std::string> header(const Request& request, const char* name) {
    if (!request.has_header(name)) {
        return std::nullopt;
    }
    return request.get_header_value(name);
}

// What IoT Hub answers a missing or unknown api-version: 400, the error code in a header too,
// and a tracking id in ExceptionMessage.
void write_invalid_protocol_version(Response& response) {
    auto result = error_result(400, "InvalidProtocolVersion", "BadRequest");
    const auto now = std::chrono::system_clock::now();
    const auto time = std::chrono::system_clock::to_time_t(now);
    std::tm utc{};
    ::gmtime_r(&time, &utc);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%m/%d/%Y %H:%M:%S", &utc);
    result.body["ExceptionMessage"] =
        fmt::format("Tracking ID:{:016x}{:016x}-G:0-TimeStamp:{}", std::random_device{}(),
                    static_cast<uint64_t>(now.time_since_epoch().count()), stamp);
    write_result(result, response);
    response.set_header("iothub-errorcode", "InvalidProtocolVersion");
}

ServiceResult bad_request(ServiceCounters& counters, const std::string& text) {
    ++counters.bad_requests;
    return error_result(400, "ArgumentInvalid", text);
}

// The routes with their shared context: authorization, body parsing and counting in one place.
class RouteTable : public std::enable_shared_from_this<RouteTable> {
  public:
    RouteTable(httplib::Server& server, HubService& hub, ServiceCounters& counters,
               std::vector<HubService*> extra_hubs)
        : server_(server), hub_(hub), extra_hubs_(std::move(extra_hubs)), counters_(counters) {}

    void add_all() {
        add_registry();
        add_twins();
        add_emulator();
    }

  private:
    void add_registry() {
        server_.Get(R"(/devices/([^/]+))",
                    guard("RegistryRead", [this](const Request& r, HubService& hub) {
                        return hub.get_device(r.matches[1]);
                    }));
        server_.Put(R"(/devices/([^/]+))",
                    guard("RegistryWrite", [this](const Request& r, HubService& hub) {
                        return with_json(r, [&](const json& body) {
                            return hub.put_device(r.matches[1], body);
                        });
                    }));
        server_.Delete(R"(/devices/([^/]+))",
                       guard("RegistryWrite", [this](const Request& r, HubService& hub) {
                           return hub.delete_device(r.matches[1]);
                       }));
        server_.Get("/devices", guard("RegistryRead", [this](const Request&, HubService& hub) {
                        return hub.list_devices();
                    }));
    }

    void add_twins() {
        server_.Get(R"(/twins/([^/]+))",
                    guard("ServiceConnect", [this](const Request& r, HubService& hub) {
                        return hub.get_twin(r.matches[1]);
                    }));
        server_.Patch(
            R"(/twins/([^/]+))", guard("ServiceConnect", [this](const Request& r, HubService& hub) {
                return with_object(
                    r, [&](const json& body) { return hub.patch_twin(r.matches[1], body); });
            }));
        server_.Put(
            R"(/twins/([^/]+))", guard("ServiceConnect", [this](const Request& r, HubService& hub) {
                return with_object(
                    r, [&](const json& body) { return hub.replace_twin(r.matches[1], body); });
            }));
        server_.Post(R"(/twins/([^/]+)/methods)",
                     guard("ServiceConnect", [this](const Request& r, HubService& hub) {
                         return with_object(r, [&](const json& body) {
                             return hub.invoke_method(r.matches[1], body);
                         });
                     }));
    }

    void add_emulator() {
        server_.Post(R"(/hubsim/devices/([^/]+)/messages)",
                     guard("ServiceConnect", [this](const Request& r, HubService& hub) {
                         return with_json(r, [&](const json& body) {
                             std::string error;
                             const auto message = parse_c2d_request(body, error);
                             if (!message) {
                                 return bad_request(counters_, error);
                             }
                             return hub.send_c2d(r.matches[1], *message);
                         });
                     }));
        server_.Get(R"(/hubsim/devices/([^/]+)/messages)",
                    guard("ServiceConnect", [this](const Request& r, HubService& hub) {
                        return hub.c2d_state(r.matches[1]);
                    }));
        server_.Post(R"(/hubsim/devices/([^/]+)/kick)",
                     guard("ServiceConnect", [this](const Request& r, HubService& hub) {
                         return hub.kick(r.matches[1]);
                     }));
        server_.Get("/hubsim/telemetry",
                    guard("ServiceConnect", [this](const Request& r, HubService& hub) {
                        std::string error;
                        const auto query = parse_telemetry_query(
                            param(r, "after"), param(r, "wait"), param(r, "device"), error);
                        if (!query) {
                            return bad_request(counters_, error);
                        }
                        return hub.telemetry(query->after, query->wait, query->device);
                    }));
        server_.Get("/hubsim/connections",
                    guard("ServiceConnect",
                          [this](const Request&, HubService& hub) { return hub.connections(); }));
        server_.Get("/hubsim/faults",
                    guard("ServiceConnect", [this](const Request&, HubService& hub) {
                        return ServiceResult{200, faults_to_json(hub.faults())};
                    }));
        server_.Put("/hubsim/faults",
                    guard("ServiceConnect", [this](const Request& r, HubService& hub) {
                        return with_json(r, [&](const json& body) {
                            std::string error;
                            const auto faults = parse_faults(body, hub.faults(), error);
                            if (!faults) {
                                return bad_request(counters_, error);
                            }
                            const auto result = hub.set_faults(*faults);
                            if (result.status >= 300) {
                                return result;
                            }
                            return ServiceResult{200, faults_to_json(hub.faults())};
                        });
                    }));
        server_.Get("/hubsim/service", guard("ServiceConnect", [this](const Request&, HubService&) {
                        return ServiceResult{200,
                                             {{"requests", counters_.requests.load()},
                                              {"unauthorized", counters_.unauthorized.load()},
                                              {"badRequests", counters_.bad_requests.load()},
                                              {"failures", counters_.failures.load()}}};
                    }));
    }

    // Wraps a route body: counts it, checks the token for `right`, writes the JSON answer.
    httplib::Server::Handler guard(std::string right, RouteBody body) {
        // The handler owns the table: the route bodies capture `this`.
        return [self = shared_from_this(), right = std::move(right), body = std::move(body)](
                   const Request& request, Response& response) {
            self->serve(right, body, request, response);
        };
    }

    void serve(const std::string& right, const RouteBody& body, const Request& request,
               Response& response) {
        ++counters_.requests;
        const auto authorization = header(request, "Authorization");
        HubService& hub = hub_for(authorization);
        const auto decision = authorize_service_request(
            authorization, hub.hostname(), right,
            [&hub](const std::string& policy, const std::string& needed) {
                return hub.policy_key(policy, needed);
            },
            epoch_seconds());
        if (!decision.accepted) {
            ++counters_.unauthorized;
            spdlog::warn("hubsim service: 401 for {} {}: {} (token: {})", request.method,
                         request.path, decision.reason,
                         authorization ? hubgate::iothub::redact_sas_token(*authorization)
                                       : std::string("none"));
            write_result(error_result(401, "IotHubUnauthorizedAccess", decision.reason), response);
            return;
        }
        // IoT Hub's own routes need a version it knows; the emulator's /hubsim/ ones do not.
        if (!request.path.starts_with("/hubsim/")) {
            const auto version = param(request, "api-version");
            if (!version || !is_hub_api_version(*version)) {
                ++counters_.bad_requests;
                write_invalid_protocol_version(response);
                return;
            }
        }
        write_result(body(request, hub), response);
    }

    // The hub a token is scoped to (as each real hub has its own endpoint): one of the extra
    // hubs when its sr= names that hub's host name, else the first hub, which refuses a token
    // for another host.
    HubService& hub_for(const std::optional<std::string>& authorization) {
        if (extra_hubs_.empty() || !authorization)
            return hub_;
        const auto token = hubgate::iothub::parse_sas_token(*authorization);
        if (!token)
            return hub_;
        for (auto* hub : extra_hubs_) {
            if (token_names_hub(token->resource_uri, hub->hostname()))
                return *hub;
        }
        return hub_;
    }

    ServiceResult with_json(const Request& request,
                            const std::function<ServiceResult(const json&)>& use) {
        std::string error;
        const auto body = parse_json_body(request.body, error);
        if (!body) {
            return bad_request(counters_, error);
        }
        return use(*body);
    }

    ServiceResult with_object(const Request& request,
                              const std::function<ServiceResult(const json&)>& use) {
        return with_json(request, [&](const json& body) {
            if (!body.is_object()) {
                return bad_request(counters_, "the body must be a JSON object");
            }
            return use(body);
        });
    }

    httplib::Server& server_;
    HubService& hub_;
    std::vector<HubService*> extra_hubs_;
    ServiceCounters& counters_;
};

}  // namespace

void add_service_routes(httplib::Server& server, HubService& hub, ServiceCounters& counters,
                        std::vector<HubService*> extra_hubs) {
    std::make_shared<RouteTable>(server, hub, counters, std::move(extra_hubs))->add_all();
    // Unknown paths and methods get JSON too: clients parse every answer.
    server.set_error_handler([](const Request&, Response& response) {
        if (response.body.empty()) {
            const auto status = response.status;
            write_result(error_result(status, status == 404 ? "NotFound" : "InvalidOperation",
                                      "no such endpoint or method"),
                         response);
        }
    });
    server.set_exception_handler(
        [&counters](const Request& request, Response& response, std::exception_ptr error) {
            ++counters.failures;
            std::string what = "unknown error";
            try {
                std::rethrow_exception(error);
            } catch (const std::exception& e) {
                what = e.what();
            } catch (...) {
            }
            spdlog::error("hubsim service: {} {} failed: {}", request.method, request.path, what);
            write_result(error_result(500, "ServerError", what), response);
        });
}

}  // namespace hubsim
