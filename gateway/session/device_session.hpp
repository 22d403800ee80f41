#pragma once
// One device's upstream session: connects with the device's credentials, renews its token,
// backs off after failures, subscribes to what the device's mapping needs, runs the twin
// reconnection flow, tracks twin requests, hands method calls down and sends their answers, and
// reports telemetry acks. Pending method calls are kept above it (daemon/method_calls.hpp).
// Single-threaded: every call comes from the session manager's thread.

#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "gateway/session/retry_policy.hpp"
#include "gateway/session/session_host.hpp"
#include "gateway/session/session_listener.hpp"
#include "gateway/session/session_options.hpp"
#include "gateway/session/session_state.hpp"
#include "gateway/transport/upstream.hpp"

namespace hubgate::session {

// The state machine of one device session (see SessionState for its states).
class DeviceSession {
  public:
    // `relay` receives the upstream's events and must outlive `upstream`; both are owned here.
    DeviceSession(std::string device_id, DeviceNeeds needs, const SessionOptions& options,
                  SessionHost& host, uint64_t serial,
                  std::unique_ptr<transport::UpstreamEvents> relay,
                  std::unique_ptr<transport::UpstreamConnection> upstream);
    ~DeviceSession();
    DeviceSession(const DeviceSession&) = delete;
    DeviceSession& operator=(const DeviceSession&) = delete;

    const std::string& device_id() const { return device_id_; }
    uint64_t serial() const { return serial_; }
    SessionState state() const { return state_; }
    const DeviceNeeds& needs() const { return needs_; }
    // Widens what the session subscribes to (takes effect at the next connect).
    void add_needs(const DeviceNeeds& needs);

    void start(SteadyTime now);  // Idle/Closed/Replaced -> WaitingToConnect
    // Connects again now with fresh credentials: a connected session disconnects and connects
    // again (as for a token renewal); any other starts as start() does.
    void reconnect(SteadyTime now);
    void begin_connect(SteadyTime now);  // the host granted a connect slot
    void close(SteadyTime now);          // graceful: DISCONNECT, fail what is pending
    void tick(SteadyTime now);           // timers: retry, renewal, twin deadlines
    // When the session last carried traffic (for idle closing).
    SteadyTime last_activity() const { return last_activity_; }
    // True once a close() has finished with the upstream (or it was never connected).
    bool fully_closed() const { return state_ == SessionState::Closed && !disconnect_pending_; }

    // Upstream events, relayed onto the manager's thread.
    void handle_connect_result(const transport::ConnectResult& result, SteadyTime now);
    void handle_connection_lost(const std::string& cause, transport::LossOrigin origin,
                                SteadyTime now);
    // `c2d_ticket`: the C2D message was kept under it (c2d_keeper.hpp).
    void handle_message(const std::string& topic, const std::string& payload, SteadyTime now,
                        std::uint64_t c2d_ticket = 0);
    void handle_subscribe_result(uint64_t tag, bool ok, SteadyTime now);
    void handle_publish_result(uint64_t tag, bool ok, const std::string& error, SteadyTime now);
    void handle_disconnected(SteadyTime now);

    // Downstream API.
    // Properties and payload move on to the upstream's TLS write; `message_id` goes up as
    // $.mid unless the properties carry one (iothub::telemetry_topic).
    void publish_telemetry(uint64_t handle, Properties properties, std::string_view message_id,
                           std::string payload, PublishCallback done, SteadyTime now);
    void get_twin(TwinCallback done, SteadyTime now);
    void patch_reported(const nlohmann::json& patch, TwinCallback done, SteadyTime now);
    // `body`: the patch's JSON text, which the caller knows to be an object.
    void patch_reported(std::string body, TwinCallback done, SteadyTime now);
    // Sends the answer to the hub's method request `rid`; false (nothing sent) when the session
    // is not connected. Which rids are still waiting is the caller's to know.
    bool reply_method(const std::string& rid, int status, const std::string& payload,
                      SteadyTime now);

    SessionSnapshot snapshot(SteadyTime now, WallTime wall_now) const;

  private:
    enum class PublishKind { Telemetry, Twin, MethodResponse };
    struct PendingPublish {
        PublishKind kind;
        uint64_t handle = 0;
        PublishCallback done;
        std::string twin_rid;
    };
    struct TwinOp {
        TwinOpKind kind = TwinOpKind::Get;
        std::string body;
        TwinCallback done;
        bool reconnect_flow = false;  // the GET after a (re)connect, handled here
        unsigned attempts = 0;
        SteadyTime not_before{};
        std::optional<std::string> rid;  // set while a request is in flight
        SteadyTime deadline{};
        int last_status = 0;
    };

    void set_state(SessionState state, SteadyTime now);
    void retry_later(SteadyTime now, std::string reason);
    void refuse(SteadyTime now, std::string reason);
    void become_replaced(SteadyTime now);
    // The hub closes this session's connection again and again: decides, once the other
    // sessions' closes of the same moment are known, whether another owner has the id.
    bool replaced_by_another(SteadyTime now);
    void on_link_down(SteadyTime now, PublishStatus publish_status);
    void subscribe_needed();
    void on_subscribed(SteadyTime now);
    void enqueue_twin(TwinOp op, bool front);
    void ensure_twin_subscription();
    void pump_twin(SteadyTime now);
    void finish_twin(std::list<TwinOp>::iterator op, TwinResult result);
    void retry_twin(std::list<TwinOp>::iterator op, SteadyTime now, const std::string& why);
    void handle_twin_response(const std::string& rid, int status, std::optional<int64_t> version,
                              const std::string& payload, SteadyTime now);
    void handle_reconnect_twin(const TwinResult& result);
    void handle_method_request(const std::string& name, const std::string& rid,
                               const std::string& payload, SteadyTime now);
    void answer_method(const std::string& rid, int status, const std::string& payload);
    uint64_t next_tag() { return ++last_tag_; }

    std::string device_id_;
    DeviceNeeds needs_;
    const SessionOptions& options_;
    SessionHost& host_;
    uint64_t serial_;
    std::unique_ptr<transport::UpstreamEvents>
        relay_;  // declared before upstream_: destroyed after it
    std::unique_ptr<transport::UpstreamConnection> upstream_;
    std::string server_uri_;  // where upstream_ connects: its device's hub
    std::string hub_;         // that hub's host name, once a CONNECT was made

    SessionState state_ = SessionState::Idle;
    std::optional<SteadyTime> state_since_;  // unset while Idle since creation
    // For `hubgate status --device`: one store per message, on this (the manager's) thread.
    std::optional<SteadyTime> last_uplink_;
    std::optional<SteadyTime> last_downlink_;
    std::string reason_;
    std::string logged_refusal_;
    SteadyTime retry_at_{};
    Backoff reconnect_backoff_;
    Backoff refused_backoff_;
    RetryPolicy twin_retry_;

    std::optional<WallTime> token_expiry_;
    SteadyTime token_issued_{};  // when the token in use was signed
    Millis token_life_{};        // its validity from then (the expiry is whole seconds)
    std::optional<SteadyTime> renew_at_;
    bool renewing_ = false;
    bool disconnect_pending_ = false;
    std::optional<SteadyTime> connected_at_;
    std::optional<WallTime> connected_wall_;
    // Within replaced_window, oldest first. A vector, not a deque: libstdc++'s deque allocates
    // ~600 bytes even while empty, and every idle session holds one of these.
    std::vector<SteadyTime> hub_closes_;
    std::optional<SteadyTime> replaced_check_at_;
    bool subscribed_ = false;
    uint64_t subscribe_tag_ = 0;
    SteadyTime last_activity_{};

    uint64_t last_tag_ = 0;
    uint64_t last_rid_ = 0;
    // Publishes awaiting their result, by tag: tags only grow, so appending keeps it sorted, and
    // the vector keeps its capacity where a map would allocate a node per publish.
    std::vector<std::pair<uint64_t, PendingPublish>> publishes_;
    void add_publish(uint64_t tag, PendingPublish publish) {
        publishes_.emplace_back(tag, std::move(publish));
    }
    std::list<TwinOp> twin_ops_;
    SessionCounters counters_;
};

}  // namespace hubgate::session
