#pragma once
// The hub side of the bridge, on one thread (the session manager's): the device sessions, the
// spool sender that drains the spool into them, the direct-method calls waiting for a legacy
// device's reply, and the downlink router that renders what the sessions hand down. Built in
// that order, each from the parts before it; the session manager is the one part that calls
// back up, through the SessionListener this actor is.

#include <functional>

#include "gateway/core/active_mappings.hpp"
#include "gateway/core/bridge_counters.hpp"
#include "gateway/core/desired_state_store.hpp"
#include "gateway/core/device_registry.hpp"
#include "gateway/core/downlink_router.hpp"
#include "gateway/core/local_publisher.hpp"
#include "gateway/core/method_calls.hpp"
#include "gateway/core/session_manager_link.hpp"
#include "gateway/core/session_settings.hpp"
#include "gateway/core/spool_sender.hpp"
#include "gateway/core/work_queue.hpp"
#include "gateway/session/c2d_keeper.hpp"
#include "gateway/session/clock.hpp"
#include "gateway/session/session_manager.hpp"
#include "gateway/spool/spool.hpp"
#include "gateway/transport/upstream.hpp"

namespace hubgate::core {

// What the hub side works with; all must outlive it.
struct HubActorDeps {
    SessionSettings settings;
    transport::UpstreamFactory& upstream;
    const session::Clock& clock;
    // Where C2D messages are kept before the hub has their PUBACK (the C2D journal).
    session::C2dKeeper& kept_c2d;
    spool::Spool& spool;
    BridgeCounters& counters;
    const ActiveMappings& mappings;
    const DeviceRegistry& devices;
    LocalPublisher& local;
    DesiredStateStore& desired;
    // Where desired updates are written to disk (an fsync the hub thread must not wait for).
    WorkQueue& desired_writer;
    // Called on the hub thread after acks freed spool space (wakes a paused local reader).
    std::function<void()> space_freed;
    // Keeps downlinks that crashed plugins out of them (poison_guard.hpp); none if nullptr.
    PoisonGuard* guard = nullptr;
};

// The sessions and everything that runs on their thread.
class HubActor final : private session::SessionListener {
  public:
    explicit HubActor(HubActorDeps deps);
    // Stops the spool sender and the sessions' thread before the parts that thread runs go.
    ~HubActor() override;
    HubActor(const HubActor&) = delete;
    HubActor& operator=(const HubActor&) = delete;

    session::SessionManager& sessions() { return sessions_; }
    HubLink& hub() { return link_; }
    SpoolSender& sender() { return sender_; }
    MethodCalls& methods() { return methods_; }
    DownlinkRouter& downlink() { return downlink_; }

  private:
    // SessionListener: the sessions' callbacks, on this thread.
    void on_c2d(const session::C2dMessage& message) override { downlink_.on_c2d(message); }
    void on_method(const session::MethodCall& call) override { downlink_.on_method(call); }
    void on_desired(const session::DesiredUpdate& update) override { downlink_.on_desired(update); }
    void on_state(const std::string& device_id, session::SessionState state) override;

    session::SessionManager sessions_;
    SessionManagerLink link_;
    MethodCalls methods_;
    DownlinkRouter downlink_;
    SpoolSender sender_;
};

}  // namespace hubgate::core
