#pragma once
// The service API's routes: IoT Hub REST (registry, twins, methods) and the /hubsim/ emulator
// endpoints, each authorized with a service SAS token and answered in JSON.

#include <atomic>
#include <cstdint>
#include <vector>

#include "hubsim/common/hub_service.hpp"

namespace httplib {
class Server;
}

namespace hubsim {

// What the service refused, for GET /hubsim/service (bad input is counted, never silent).
struct ServiceCounters {
    std::atomic<uint64_t> requests{0};
    std::atomic<uint64_t> unauthorized{0};
    std::atomic<uint64_t> bad_requests{0};
    std::atomic<uint64_t> failures{0};  // handler exceptions answered with 500
};

// Registers every route on `server`; `hub`, `extra_hubs` and `counters` must outlive it. A
// request is served by the hub its token is scoped to (sr={hostname}): `hub`, or one of
// `extra_hubs` when several hubs share the API.
void add_service_routes(httplib::Server& server, HubService& hub, ServiceCounters& counters,
                        std::vector<HubService*> extra_hubs = {});

}  // namespace hubsim
