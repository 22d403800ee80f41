#pragma once
// The emulated IoT hub: registry, twins, C2D queues, pending method calls, telemetry and the
// connection log. The broker thread feeds it device events (on_*); HTTPS threads call the
// HubService methods, which hand broker work over through BrokerTasks.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "hubsim/common/c2d_queue.hpp"
#include "hubsim/common/connect_rate_limiter.hpp"
#include "hubsim/common/device_auth.hpp"
#include "hubsim/common/device_topics.hpp"
#include "hubsim/common/hub_config.hpp"
#include "hubsim/common/hub_service.hpp"
#include "hubsim/common/session_deadlines.hpp"
#include "hubsim/common/telemetry_log.hpp"
#include "hubsim/common/twin_document.hpp"
#include "hubsim/plugin/broker_actions.hpp"
#include "hubsim/plugin/broker_tasks.hpp"

namespace hubsim {

// How the broker should treat a client action.
enum class Verdict { allow, deny, disconnect };

class Hub final : public HubService {
  public:
    static constexpr size_t kMaxMessageBytes = 256 * 1024;
    // How often the tick runs the time-based checks (C2D expiry, token expiry). MOSQ_EVT_TICK
    // comes with every broker loop iteration, about once per packet under load.
    static constexpr auto kTimedChecksEvery = std::chrono::milliseconds(100);

    Hub(HubConfig config, BrokerActions& broker, BrokerTasks& tasks);

    // ---- broker thread ----
    // CONNECT: true lets it through; false refuses it (CONNACK 5). `handle` names this connection.
    bool on_connect(const void* handle, const ConnectAttempt& attempt, bool clean_session);
    Verdict on_subscribe(const std::string& client_id, const std::string& filter);
    void on_unsubscribe(const std::string& client_id, const std::string& filter);
    Verdict on_publish_check(const std::string& client_id, std::string_view topic,
                             size_t payload_bytes, int qos);
    bool on_deliver_check(const std::string& client_id, std::string_view topic);
    // A publish that passed on_publish_check.
    void on_message(const std::string& client_id, std::string_view topic, std::string_view payload,
                    bool retain);
    // Broker work handed over by other threads, then C2D work for the devices that need it;
    // every kTimedChecksEvery also C2D expiry and expired tokens (those sessions are kicked).
    void on_tick();
    void on_disconnect(const void* handle, const std::string& client_id);
    // Fails waiting method calls (cleanup).
    void shut_down();

    // ---- any thread: HubService ----
    ServiceResult get_device(const std::string& id) override;
    ServiceResult put_device(const std::string& id, const json& identity) override;
    ServiceResult delete_device(const std::string& id) override;
    ServiceResult list_devices() override;
    ServiceResult get_twin(const std::string& id) override;
    ServiceResult patch_twin(const std::string& id, const json& patch) override;
    ServiceResult replace_twin(const std::string& id, const json& twin) override;
    ServiceResult invoke_method(const std::string& id, const json& request) override;
    ServiceResult send_c2d(const std::string& id, const C2dRequest& message) override;
    ServiceResult telemetry(uint64_t after, std::chrono::milliseconds wait,
                            const std::optional<std::string>& device) override;
    ServiceResult connections() override;
    ServiceResult c2d_state(const std::string& id) override;
    ServiceResult kick(const std::string& id) override;
    ServiceResult set_faults(const Faults& faults) override;
    Faults faults() override;
    std::optional<std::string> policy_key(const std::string& name,
                                          const std::string& right) override;
    std::string hostname() override;

  private:
    // A direct method call waiting for the device's answer.
    struct MethodCall {
        std::string device_id;
        bool answered = false;
        int status = 0;
        json payload;
    };

    // Everything the hub knows about one registered device.
    struct DeviceState {
        DeviceIdentity identity;
        TwinDocument twin;
        const void* connection = nullptr;  // the live connection, when connected
        const void* replaced = nullptr;    // a connection closed because a new one took over
        std::string close_reason;          // why the hub is closing the live connection
        std::set<DeviceSubscription> subscriptions;  // kept across CleanSession=0 reconnects
        uint64_t connects = 0;
        std::string last_event;
        std::string generation_id;
        C2dQueue c2d_pending;                     // not yet handed to the broker
        std::vector<C2dMessage> c2d_outstanding;  // handed over, PUBACK not yet inferred
        bool c2d_sweeping = false;                // a reconnect is listing still-unacked messages
        std::set<std::string> c2d_still_unacked;
        uint64_t c2d_completed = 0;
        uint64_t c2d_expired = 0;
        uint64_t c2d_redelivered = 0;
    };

    // One line of the connection log.
    struct ConnectionEvent {
        int64_t time_ms = 0;
        std::string device_id;
        std::string event;
        std::string reason;
    };

    void log_event(const std::string& device_id, const std::string& event,
                   const std::string& reason);
    DeviceState* find(const std::string& id);
    bool twin_throttled() const;
    void answer_twin(const std::string& client_id, int status, const std::string& rid,
                     std::optional<int64_t> version, const json& body);
    void handle_twin_request(DeviceState& device, const DevicePublish& request,
                             std::string_view payload);
    DevicePublish checked_publish(const std::string& client_id, std::string_view topic);
    void deliver_c2d(DeviceState& device, std::chrono::system_clock::time_point now);
    void finish_c2d_sweep(DeviceState& device);
    void tend_c2d(const std::string& id, std::chrono::system_clock::time_point now);
    std::vector<std::string> expired_sessions();
    void push_desired(const std::string& id, int64_t version, const json& patch);
    json device_json(const DeviceState& device) const;
    json twin_json(const DeviceState& device) const;

    BrokerActions& broker_;
    BrokerTasks& tasks_;
    TelemetryLog telemetry_;

    mutable std::mutex mutex_;
    std::condition_variable method_answered_;
    std::string hostname_;
    std::vector<AccessPolicy> policies_;
    std::map<std::string, DeviceState> devices_;
    std::deque<ConnectionEvent> connection_log_;
    Faults faults_;
    std::chrono::steady_clock::time_point twin_throttle_until_{};
    ConnectRateLimiter connect_limiter_;
    std::map<std::string, std::shared_ptr<MethodCall>> method_calls_;  // by $rid
    uint64_t next_request_id_ = 0;
    uint64_t next_message_id_ = 0;
    uint64_t violations_ = 0;
    bool shut_down_ = false;

    // The last publish on_publish_check allowed, as classified there: mosquitto raises the
    // MESSAGE event for a PUBLISH right after its ACL check, so on_message need not parse the
    // topic and its property bag again.
    struct CheckedPublish {
        bool valid = false;
        std::string client_id;
        std::string topic;
        DevicePublish publish;
    };
    CheckedPublish last_checked_;

    // What the tick must look at, so that its cost does not grow with the number of devices.
    // Devices whose C2D state changed (a message queued, a C2D subscription, a connect): the
    // next tick finishes their reconnect sweep and hands their queue to the broker.
    std::set<std::string> c2d_attention_;
    // Devices with messages waiting in the hub, for the timed expiry check.
    std::set<std::string> c2d_waiting_;
    // Token expiry of every connected device.
    SessionDeadlines token_deadlines_;
    std::chrono::steady_clock::time_point next_timed_checks_{};
};

}  // namespace hubsim
