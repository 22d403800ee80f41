#pragma once
// Notes from the plugin side (hubsim-plugin), no signature changed:
//  - refuse_connects and connect_rate refusals are CONNACK 5: a mosquitto 2.0.11 plugin can only
//    answer MOSQ_ERR_AUTH (5 "not authorised"); any other error closes without a CONNACK.
//  - puback_delay_ms holds the broker thread (all traffic), as the plugin API cannot hold one ack.
//  - c2d_state also returns "queued" (waiting in the hub), "delivered" (handed to the session, no
//    PUBACK seen yet), "redelivered" and "expired"; PUBACKs are inferred at the next
//    CleanSession=0 reconnect (see hubsim/plugin/hub_device_side.cpp).
//  - connections() also returns "violations" (publishes/subscriptions refused by topic rules).
// The seam between hubsim's two halves:
//  - hubsim/plugin (the mosquitto broker plugin: device dialect, state) IMPLEMENTS HubService;
//  - hubsim/service (the HTTPS service API, started by the plugin) CALLS it.
// Every method is safe to call from any thread (the HTTPS server's threads). Work that needs
// the broker (publish to a device, kick) is queued for the broker thread, which is woken at once
// (mosquitto's loop otherwise sleeps up to 100 ms), and the caller waits for the result.
// JSON shapes follow the IoT Hub REST API, api-version 2021-04-12.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hubsim {

using nlohmann::json;

// An answer from the hub: an HTTP status and a JSON body
// (errors: {"Message": "ErrorCode:...;..."}).
struct ServiceResult {
    int status = 200;
    json body = json::object();
};

struct C2dRequest {
    std::string payload;                            // raw bytes
    std::map<std::string, std::string> properties;  // application properties
    std::optional<std::string> message_id;          // $.mid; generated when absent
    std::optional<std::string> correlation_id;      // $.cid
    std::optional<std::chrono::seconds> ttl;        // default 1 h
};

struct Faults {
    int twin_throttle_seconds = 0;  // answer 429 to twin GET/PATCH for this long from now
    bool refuse_connects = false;   // refuse every CONNECT (CONNACK 5: the only refusal a
                                    // mosquitto 2.0 auth plugin can make)
    double connect_rate = 0;        // new connections per second accepted; 0 = unlimited
    int puback_delay_ms = 0;        // delay telemetry PUBACKs (emulated by holding the ack)
};

class HubService {
  public:
    virtual ~HubService() = default;

    // Registry (GET/PUT/DELETE /devices/{id}, GET /devices): IoT Hub device identity JSON.
    virtual ServiceResult get_device(const std::string& id) = 0;
    virtual ServiceResult put_device(const std::string& id, const json& identity) = 0;
    virtual ServiceResult delete_device(const std::string& id) = 0;
    virtual ServiceResult list_devices() = 0;

    // Twins (GET/PATCH/PUT /twins/{id}): PATCH merges `desired`, PUT replaces it; both push a
    // desired patch to the connected, subscribed device.
    virtual ServiceResult get_twin(const std::string& id) = 0;
    virtual ServiceResult patch_twin(const std::string& id, const json& patch) = 0;
    virtual ServiceResult replace_twin(const std::string& id, const json& twin) = 0;

    // POST /twins/{id}/methods: body {"methodName", "payload", "responseTimeoutInSeconds"}.
    // Blocks the calling thread until the device answers or the timeout passes.
    // 200 {"status":N,"payload":...}; 404 DeviceNotOnline; 504 on timeout; 400 bad request.
    virtual ServiceResult invoke_method(const std::string& id, const json& request) = 0;

    // Emulator-only (/hubsim/...).
    virtual ServiceResult send_c2d(const std::string& id, const C2dRequest& message) = 0;
    // Recorded telemetry with sequence > after; waits up to `wait` for at least one.
    // {"messages":[{"sequence","deviceId","payload","payloadBase64"?, "properties":{},
    //   "systemProperties":{}, "enqueuedTime"}], "last": N}
    virtual ServiceResult telemetry(uint64_t after, std::chrono::milliseconds wait,
                                    const std::optional<std::string>& device) = 0;
    // {"devices":[{"deviceId","connected","connects","lastEvent"}],
    //  "log":[{"time_ms","deviceId","event":"connect|refused|disconnect|kicked|replaced|expired","reason"}]}
    virtual ServiceResult connections() = 0;
    // {"pending","completed","rejected"}
    virtual ServiceResult c2d_state(const std::string& id) = 0;
    virtual ServiceResult kick(const std::string& id) = 0;
    virtual ServiceResult set_faults(const Faults& faults) = 0;
    virtual Faults faults() = 0;

    // Service authentication: the key of a shared access policy by name (nullopt when unknown),
    // and whether it has a right ("ServiceConnect", "RegistryRead", "RegistryWrite",
    // "DeviceConnect").
    virtual std::optional<std::string> policy_key(const std::string& name,
                                                  const std::string& right) = 0;
    virtual std::string hostname() = 0;
};

// Implemented in hubsim/service: the HTTPS server that exposes HubService. Started by the
// plugin at init, stopped (joined) at cleanup.
class DpsService;

struct ServiceApiOptions {
    std::string bind = "127.0.0.1";
    int port = 0;
    std::string cert_file;
    std::string key_file;
    DpsService* dps = nullptr;  // when set, the DPS enrollment API is served as well
    // More hubs ([[hubs]]): a request goes to the hub its token's sr= host name names.
    std::vector<HubService*> extra_hubs = {};
};

class ServiceApi {
  public:
    virtual ~ServiceApi() = default;  // stops the server and joins its threads
};

std::unique_ptr<ServiceApi> start_service_api(HubService& hub, const ServiceApiOptions& options);

}  // namespace hubsim
