#pragma once
// Cloud → device: turns what the sessions hand down (C2D messages, desired-property updates,
// direct-method requests, answers to twin GETs) into local messages through the mapping's
// downlink templates, and publishes them to the legacy devices' topics.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "gateway/core/active_mappings.hpp"
#include "gateway/core/bridge_counters.hpp"
#include "gateway/core/desired_state_store.hpp"
#include "gateway/core/device_registry.hpp"
#include "gateway/core/local_publisher.hpp"
#include "gateway/core/method_calls.hpp"
#include "gateway/core/poison_guard.hpp"
#include "gateway/core/work_queue.hpp"
#include "gateway/session/c2d_keeper.hpp"
#include "gateway/session/session_listener.hpp"
#include "hubgate/mappings/mapping_set.hpp"

namespace hubgate::core {

// The largest downlink payload handed to the local broker, checked after the downlink plugins:
// the same bound as uplinks (IoT Hub itself sends at most 128 KB), so a plugin that inflates a
// payload is refused rather than flooding a legacy device.
inline constexpr std::size_t kMaxDownlinkBytes = 256 * 1024;

// Everything the downlink side works with; all must outlive the router.
struct DownlinkDeps {
    const ActiveMappings& mappings;
    const DeviceRegistry& devices;
    LocalPublisher& local;
    // Where a method call waits for the device's reply, and how a refused one is answered.
    MethodCalls& methods;
    BridgeCounters& counters;
    // Keeps each device's whole desired document; without one, only patch topics get desired
    // updates (unit tests of other kinds).
    DesiredStateStore* desired = nullptr;
    // Where desired updates are kept and published: keeping one waits for the disk, which a
    // session callback must not. One thread, so a device's updates stay in order. nullptr: at
    // once, on the calling thread (unit tests).
    WorkQueue* desired_writer = nullptr;
    // Where kept C2D messages are released when they cannot be published.
    session::C2dKeeper* kept_c2d = nullptr;
    // Notes each downlink before it enters plugin hooks and keeps one that crashed the process
    // twice out of them (poison_guard.hpp); none if nullptr.
    PoisonGuard* guard = nullptr;
};

// What the sessions hand down, rendered. Every call runs on the session manager's thread (the
// hub actor, hub_actor.hpp, passes the sessions' callbacks on), but desired updates (on the
// deferred work thread) and what is published again at start-up (on the main thread).
//
// A downlink the poison guard keeps out of the plugins (it crashed the process twice) goes
// nowhere: a kept C2D message is released from the journal, a method call is answered 500 at
// once, a desired update is not published (the document stays kept).
class DownlinkRouter final : public session::SessionListener {
  public:
    explicit DownlinkRouter(DownlinkDeps deps) : deps_(deps) {}

    void on_c2d(const session::C2dMessage& message) override;
    // Published to the device's method topic and left waiting in `methods`; answered at once
    // (400/404/413/501/503) when it cannot be handed over.
    void on_method(const session::MethodCall& call) override;
    void on_desired(const session::DesiredUpdate& update) override;

    // The hub's answer to a twin GET a legacy device asked for (`route` is its twin_get route).
    void deliver_twin_answer(const mappings::UplinkRoute& route, const session::TwinResult& result);

    // Publishes every device's kept desired document to its state topic (`desired`, send =
    // "state"): after a start, before the hub has answered anything, so a desired change the
    // previous process kept but may not have published locally is not lost.
    void publish_kept_desired_states();

  private:
    // Renders and publishes one downlink; false (counted and logged) when it went nowhere.
    // `kept_ticket` (nonzero): a kept C2D message, released when it goes nowhere; otherwise
    // the local link reports the ticket once the broker acknowledged it.
    // `hub_topic`: where the hub sent it, for the dead-letter folder only.
    bool deliver(const std::string& device_id, mappings::DownlinkKind kind,
                 const mappings::DownlinkVars& vars, std::string payload,
                 std::uint64_t kept_ticket = 0, std::string_view hub_topic = {});
    // Like deliver(), for a kind the device's class may not have: "no template" is not a failure
    // (nothing is counted or logged) and answers nullopt.
    std::optional<bool> deliver_if_configured(const std::string& device_id,
                                              mappings::DownlinkKind kind,
                                              const mappings::DownlinkVars& vars,
                                              std::string payload, std::string_view hub_topic = {});
    // Renders through the mapping and its plugins, with the downlink noted in the poison guard
    // while hooks run. nullopt when the guard keeps it out of the plugins (`screening` says how).
    std::optional<mappings::DownlinkResult> render(const std::string& device_id,
                                                   mappings::DownlinkKind kind,
                                                   const mappings::DownlinkVars& vars,
                                                   std::string payload, std::string_view hub_topic,
                                                   Screening& screening);
    // Publishes a rendered downlink; a rejection is counted and logged (false).
    bool publish_rendered(const std::string& device_id, mappings::DownlinkKind kind,
                          const mappings::DownlinkResult& result, std::uint64_t kept_ticket = 0);
    // The whole desired document to the device's state topic, if its class has one.
    std::optional<bool> publish_desired_state(const std::string& device_id,
                                              const nlohmann::json& state);
    bool publish(const std::string& device_id, const mappings::DownlinkRoute& route,
                 std::uint64_t kept_ticket = 0);
    void release_kept(std::uint64_t kept_ticket);
    // Why `route`'s payload (after plugins) is too large to publish, counted; nullopt when not.
    std::optional<std::string> oversized(const mappings::DownlinkRoute& route);
    // on_desired's work: keep the update (on disk), then publish the state and the patch.
    void keep_and_publish_desired(const session::DesiredUpdate& update);

    DownlinkDeps deps_;
};

}  // namespace hubgate::core
