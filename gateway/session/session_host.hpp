#pragma once
// What a device session needs from the manager that owns it: time, randomness, the shared
// pacing buckets, the connect queue and the listener. Lets DeviceSession be tested alone.

#include <memory>
#include <string>

#include "gateway/session/c2d_keeper.hpp"
#include "gateway/session/clock.hpp"
#include "gateway/session/session_listener.hpp"
#include "gateway/transport/upstream.hpp"

namespace hubgate::session {

class DeviceSession;

enum class TwinOpKind { Get, PatchReported };

// The manager side of a device session.
class SessionHost {
  public:
    virtual ~SessionHost() = default;
    virtual double uniform01() = 0;
    virtual WallTime wall_now() = 0;
    virtual SessionListener& listener() = 0;
    // Where kept C2D messages are released when the session drops one; nullptr: none kept.
    virtual C2dKeeper* c2d_keeper() { return nullptr; }
    // Queue the session for a connect slot; the host calls begin_connect() when one is free.
    virtual void request_connect_slot(DeviceSession& session) = 0;
    // The hub is pushing back on connects (CONNACK 3): pace all sessions more slowly.
    virtual void connects_throttled(SteadyTime now) = 0;
    // A token of the twin bucket for `kind`, if one is free now.
    virtual bool try_twin_slot(TwinOpKind kind, SteadyTime now) = 0;
    // The hub answered 429 to a twin operation: pace all twin operations more slowly.
    virtual void twin_throttled(TwinOpKind kind, SteadyTime now) = 0;
    // The hub closed this session's established connection at `at`.
    virtual void note_hub_close(SteadyTime at) = 0;
    // Whether the hub's close at `at` hit many sessions at once (hub_close_history.hpp): then it
    // was the hub or the network, not another connection taking one device's id.
    virtual bool hub_close_shared(SteadyTime at) = 0;
    // A connection to another server for this session (its device moved to another hub),
    // reporting to `events`; nullptr when the host cannot make one (the session keeps its own).
    virtual std::unique_ptr<transport::UpstreamConnection> connection_to(
        const std::string& server_uri, const std::string& device_id,
        transport::UpstreamEvents& events) {
        (void)server_uri;
        (void)device_id;
        (void)events;
        return nullptr;
    }
};

}  // namespace hubgate::session
