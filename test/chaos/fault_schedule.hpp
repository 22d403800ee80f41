#pragma once
// The seeded random schedule of faults of a chaos run: the same seed and length give the same
// schedule, so a failing run can be replayed. Pure logic, unit-tested.
//
// Two lanes run side by side, so faults combine: the "process" lane (hubgate, the local broker,
// hubsim and its fault endpoints) and the "uplink" lane (the cellular link between hubgate and
// the hub). Within a lane faults do not overlap.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace hubgate::chaos {

enum class FaultKind {
    // process lane
    KillHubgate,     // kill -9, restart after `duration`
    ReloadHubgate,   // SIGHUP
    RestartBroker,   // local mosquitto: SIGTERM (it saves its sessions), start after `duration`
    HubOutage,       // hubsim stopped for `duration`, then started (empty: the emulator has no
                     // persistence)
    Kick,            // hubsim drops `count` random device sessions
    TwinThrottle,    // hubsim answers twin GET/PATCH with 429 for `duration`
    RefuseConnects,  // hubsim refuses every CONNECT for `duration`
    PoisonMessage,   // one device publishes a message the soak's plugin crashes on: hubgate
                     // dies, is restarted, dies again and dead-letters it (no duration: the
                     // fault lasts as long as that takes)
    HangingHook,     // the same with a message the plugin hangs on: the harness kills hubgate
                     // (as systemd's watchdog would) once hubgate logs the stuck thread
    DiskFull,        // the spool's filesystem is full for `duration`, then space returns
    // uplink lane
    Latency,    // +300 ms round trip for `duration`
    Loss,       // 5% of segments delayed as a TCP retransmission would, for `duration`
    Blackhole,  // nothing forwarded either way, nothing closed, for `duration`
};

const char* to_string(FaultKind kind);

struct Fault {
    std::chrono::milliseconds at{};  // from the start of the run
    FaultKind kind{};
    std::chrono::milliseconds duration{};
    int count = 0;  // Kick: how many devices
};

struct ScheduleOptions {
    uint64_t seed = 1;
    std::chrono::seconds length{60};
    // The full run's blackhole; shorter runs get a shorter one (at least 20 s, at most a third
    // of the run) so that keep-alive still has to notice it.
    std::chrono::seconds blackhole{60};
};

// Faults sorted by `at`; each ends before `length`. Every schedule plays at least one poison
// message and one hanging hook (when its process lane has two faults at least).
std::vector<Fault> make_schedule(const ScheduleOptions& options);

bool is_uplink_fault(FaultKind kind);

// "  12.3s kill-hubgate 2.1s" lines, for the run's log.
std::string describe(const std::vector<Fault>& schedule);

}  // namespace hubgate::chaos
