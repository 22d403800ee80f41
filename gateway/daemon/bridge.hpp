#pragma once
// The running bridge: every part of hubgate wired together.
//
// Threads and what they do:
//  - local link thread (gateway/transport): reads the local broker; for each message calls
//    UplinkPipeline::handle, which routes it (mapping engine) and, for telemetry, appends it to
//    the spool before returning (reported patches and twin GETs too), so the broker's PUBACK
//    only follows the spool write. Method replies are handed to the device's session at once.
//  - session manager thread (gateway/session), the hub side (HubActor): the device sessions.
//    Their callbacks (DownlinkRouter) render downlinks and queue them on the local link. The
//    spool sender (SpoolSender) runs here too: it drains the spool per device through the
//    sessions within the in-flight window and acks the spool on the hub's PUBACK. So do the
//    pending direct-method calls (MethodCalls): one table, one timer that answers 504, and the
//    devices' replies posted here by the local link thread.
//  - upstream thread (one epoll loop for every MQTT/TLS session), or Paho's threads for
//    sessions over WebSocket or a proxy: the sessions' sockets.
//  - deferred work thread (WorkQueue): desired-property updates (kept on disk in the state
//    directory with an fsync the hub thread must not wait for, then published locally).
//  - main thread: waits for signals and does housekeeping (spool TTL and tidy, counters).
// The local link, session manager, upstream and deferred work threads beat a heartbeat on every
// loop turn (gateway/liveness); the main thread stops the systemd watchdog pings while one is
// stuck. A message is noted before it enters a plugin hook, uplink or downlink (PoisonGuard), so
// one that crashes the process twice is dead-lettered instead of crash-looping it.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gateway/config/config.hpp"
#include "gateway/core/active_mappings.hpp"
#include "gateway/core/bridge_counters.hpp"
#include "gateway/core/desired_state_store.hpp"
#include "gateway/core/device_registry.hpp"
#include "gateway/core/downlink_journal.hpp"
#include "gateway/core/hub_actor.hpp"
#include "gateway/core/local_link_publisher.hpp"
#include "gateway/core/mapping_loading.hpp"
#include "gateway/core/poison_guard.hpp"
#include "gateway/core/uplink_pipeline.hpp"
#include "gateway/core/work_queue.hpp"
#include "gateway/daemon/provisioning_setup.hpp"
#include "gateway/session/clock.hpp"
#include "gateway/spool/spool.hpp"
#include "gateway/transport/local_link.hpp"
#include "gateway/transport/puback_echo.hpp"
#include "gateway/transport/unconfirmed_window.hpp"
#include "gateway/transport/upstream_factory.hpp"

namespace hubgate::daemon {

// hubgate's bridge between the local broker and IoT Hub.
class Bridge {
  public:
    // Loads mappings and plugins, opens the spool and the state directory. nullptr with every
    // problem in `errors` when something is unusable.
    static std::unique_ptr<Bridge> open(const config::Config& config,
                                        std::vector<std::string>& errors);
    ~Bridge();
    Bridge(const Bridge&) = delete;
    Bridge& operator=(const Bridge&) = delete;

    // Starts the sessions, the spool sender and the local link.
    bool start(std::string& error);
    // Stops taking messages from the local broker first, then closes the sessions cleanly.
    // What is not acknowledged by the hub stays in the spool for the next start.
    void stop();
    // Periodic work (main thread, about once a second).
    void housekeeping();
    const core::DownlinkJournal& c2d_journal() const { return *c2d_journal_; }
    // Hot reload: loads the mapping files and plugins `next` names and, when all of them load,
    // routes every later message with them and changes the local subscriptions to match;
    // device sessions and messages in flight are not touched. False with every problem in
    // `errors` (file:line:col): the rules in force stay.
    bool reload_mappings(const config::Config& next, std::vector<std::string>& errors);

    const core::BridgeCounters& counters() const { return counters_; }
    const transport::LinkCounters& local_counters() const { return local_->counters(); }
    std::size_t subscription_count() const { return filters_.size(); }
    // Every device session's state and counters (waits for the session manager's loop: not
    // from a session callback).
    std::vector<session::SessionSnapshot> session_snapshots() {
        return hub_side_->sessions().snapshot();
    }
    // The same, or nothing when the session manager has not answered within `timeout`.
    std::optional<std::vector<session::SessionSnapshot>> session_snapshots_within(
        std::chrono::milliseconds timeout) {
        return hub_side_->sessions().snapshot_within(timeout);
    }
    const spool::Spool& spool() const { return *spool_; }
    // DPS provisioning of the devices; nullptr without [provisioning].
    const provisioning::Provisioner* provisioner() const { return provisioning_.provisioner.get(); }
    provisioning::Provisioner* provisioner() { return provisioning_.provisioner.get(); }
    const config::Config& config() const { return config_; }

  private:
    // Publishes a PUBACK marker (puback_echo.hpp) through the local link, if there is one.
    void publish_puback_marker(std::optional<std::uint64_t> marker);
    // Local link thread: false while too many taken messages are not confirmed by the echo.
    bool may_read_local();
    explicit Bridge(const config::Config& config);
    // C2D messages the journal kept in an earlier run and the local broker never acknowledged.
    void publish_c2d_leftovers();

    config::Config config_;
    core::BridgeCounters counters_;
    // Before the rules: their plugin hooks report to it until they are gone.
    std::unique_ptr<core::PoisonGuard> poison_;
    std::unique_ptr<core::ActiveMappings> mappings_;
    std::vector<std::string> filters_;
    std::unique_ptr<core::DeviceRegistry> devices_;
    std::unique_ptr<core::DesiredStateStore> desired_;
    std::unique_ptr<spool::Spool> spool_;
    std::unique_ptr<core::DownlinkJournal> c2d_journal_;
    std::vector<core::DownlinkJournal::Entry> c2d_leftovers_;  // published again by start()
    session::SystemClock clock_;
    transport::DefaultUpstreamFactory upstream_factory_;
    // Built in open() each from the parts before it; destroyed in reverse order of declaration.
    // The local link's handlers call the uplink pipeline, built after the link: they run only
    // once start() has started the link.
    std::unique_ptr<transport::LocalLink> local_;
    std::unique_ptr<core::LocalLinkPublisher> local_publisher_;
    std::unique_ptr<core::HubActor> hub_side_;
    // Built before the hub side, declared after it: its queued desired updates still go
    // through the downlink router when it drains.
    std::unique_ptr<core::WorkQueue> deferred_;
    std::unique_ptr<core::UplinkPipeline> uplink_;
    // DPS (provisioning_setup.hpp); after the hub side: stopped and gone before the sessions its
    // thread starts again.
    Provisioning provisioning_;
    // Bounds the local messages taken whose PUBACKs the broker has not processed yet (what it
    // would redeliver after a crash); the window is used on the local link thread only.
    std::unique_ptr<transport::PubackEcho> puback_echo_;
    std::unique_ptr<transport::UnconfirmedWindow> unconfirmed_;
    bool started_ = false;
    bool stopped_ = false;
};

}  // namespace hubgate::daemon
