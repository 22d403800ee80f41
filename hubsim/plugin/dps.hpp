#pragma once
// hubsim's Device Provisioning Service: the DPS MQTT dialect for clients that CONNECT with a DPS
// username (on the DPS listener), group enrollments with symmetric keys, the registration quota
// and faults. A registration creates (or updates) the device in the hub's registry with the
// derived key, through HubService like any registry write, and is answered in DPS's shapes.
// Broker-thread methods (on_*) and DpsService methods share one lock.

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "hubgate/iothub/dps_topics.hpp"
#include "hubsim/common/device_auth.hpp"
#include "hubsim/common/dps_config.hpp"
#include "hubsim/common/dps_service.hpp"
#include "hubsim/common/registration_quota.hpp"
#include "hubsim/plugin/broker_actions.hpp"
#include "hubsim/plugin/hub.hpp"

namespace hubsim {

using hubgate::iothub::DpsRequest;

class Dps final : public DpsService {
  public:
    static constexpr size_t kMaxRequestBytes = 64 * 1024;
    // Finished operations kept for polling; the oldest are dropped beyond this.
    static constexpr size_t kMaxOperations = 100000;
    static constexpr size_t kLogCapacity = 10000;

    Dps(DpsConfig config, HubService& hub, BrokerActions& broker);
    // Another hub enrollment groups may assign devices to (a [[hubs]] entry), found by its host
    // name; `hub` of the constructor is the default. Before any client connects.
    void add_hub(HubService& hub);

    // Called with the signing certificate (PEM) of an X.509 group created through the REST API,
    // so that the listeners and the hub trust the certificates it issues from then on.
    void set_certificate_trust(std::function<void(const std::string& pem)> trust);

    // True when `username` is in the DPS dialect: such a CONNECT belongs to the DPS.
    static bool is_dps_username(std::string_view username);

    // ---- broker thread ----
    // A CONNECT on the DPS listener (where mosquitto made the username the client id) or with a
    // DPS username elsewhere (refused): true lets it through (the connection is then the DPS's).
    bool on_connect(const void* handle, const ConnectAttempt& attempt, bool on_dps_listener);
    // Whether `handle` is a connection the DPS accepted.
    bool owns(const void* handle);
    Verdict on_subscribe(const void* handle, const std::string& filter);
    Verdict on_publish_check(const void* handle, std::string_view topic, size_t payload_bytes,
                             int qos);
    void on_message(const void* handle, std::string_view topic, std::string_view payload);
    void on_disconnect(const void* handle);

    // ---- any thread: DpsService ----
    ServiceResult put_enrollment_group(const std::string& id, const json& group) override;
    ServiceResult get_enrollment_group(const std::string& id) override;
    ServiceResult delete_enrollment_group(const std::string& id) override;
    ServiceResult dps_state() override;
    ServiceResult set_dps_faults(const json& faults) override;
    std::string service_hostname() override;

  private:
    struct Client {
        std::string mqtt_client_id;  // the username (use_username_as_clientid)
        std::string registration_id;
        std::string group_id;  // whose derived key signed the CONNECT
    };
    struct Group {
        EnrollmentGroup enrollment;
        std::string created;  // ISO 8601 UTC
        std::string updated;
        std::string etag;
    };
    // A registration operation: its answer once finished (DPS answers polls with it).
    struct Operation {
        std::string registration_id;
        json result;  // {"operationId","status","registrationState"}
    };
    // What the DPS remembers per registration id.
    struct RegistrationRecord {
        std::string created;  // first registration
        std::string group_id;
        std::string status;  // assigned | failed | disabled
        json payload;        // the custom data of the last request ("payload"), for tests
    };
    struct Counters {
        uint64_t registrations = 0;  // PUT iotdps-register accepted into an operation
        uint64_t assigned = 0;
        uint64_t failed = 0;
        uint64_t disabled = 0;
        uint64_t throttled = 0;  // answered 429
        uint64_t refused_connects = 0;
        uint64_t bad_requests = 0;  // answered 400 / 404
        uint64_t violations = 0;    // refused subscriptions and publishes
    };

    // The DPS's event log (GET /hubsim/dps): refused connects and registration outcomes.
    void log_event(const std::string& registration_id, const std::string& event,
                   const std::string& reason);
    static std::string iso_time_now();
    void answer(const Client& client, int status, const std::string& request_id,
                std::optional<int> retry_after, const json& body);
    void handle_register(const Client& client, const DpsRequest& request, std::string_view payload);
    void handle_status(const Client& client, const DpsRequest& request);
    // Runs the registration to its end state and returns the operation's final answer.
    json register_device(const Client& client, const std::string& operation_id);
    json registration_state(const std::string& registration_id, const std::string& status,
                            const RegistrationRecord& record);
    json group_json(const Group& group) const;
    // Reads allocationPolicy, iotHubs and iotHubHostName of a PUT body into `enrollment`; the
    // problem for a 400 answer, or empty.
    std::string read_allocation(const json& body, EnrollmentGroup& enrollment);
    json error_json(int code, const std::string& message);
    std::string random_hex(size_t bytes);
    // The hub of that host name, or nullptr when this hubsim serves none.
    HubService* hub_named(const std::string& hostname);
    std::string new_etag();

    std::mutex mutex_;
    DpsConfig settings_;  // enrollment_groups moved into groups_
    std::map<std::string, Group> groups_;
    HubService& hub_;
    std::vector<HubService*> hubs_;  // every hub, hub_ first
    BrokerActions& broker_;
    std::map<const void*, Client> clients_;
    std::map<std::string, Operation> operations_;
    std::deque<std::string> operation_order_;
    std::map<std::string, RegistrationRecord> registrations_;
    RegistrationQuota quota_;
    bool refuse_registrations_ = false;
    Counters counters_;
    std::deque<json> log_;
    std::mt19937_64 random_{std::random_device{}()};
    std::function<void(const std::string&)> trust_certificate_;
};

}  // namespace hubsim
