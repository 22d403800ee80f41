#pragma once
// The legacy devices of a chaos run: `devices` device ids "g{k}-s{j}" spread over groups of up
// to 50, one libmosquitto client per group (persistent session, so a local broker restart keeps
// what it owes them). Each device publishes QoS 1 telemetry numbered by "seq", reported patches
// and twin GETs under the test mapping (test/chaos/chaos_env.cpp), and acts on what comes down:
// C2D and desired messages are recorded, method calls are answered with their own payload.
// What the broker acknowledged is recorded as the uplink that must arrive.

#include <atomic>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "recorder.hpp"

namespace hubgate::chaos {

class DeviceGroup;

class DeviceFleet {
  public:
    DeviceFleet(int local_port, int devices, Recorder& recorder);
    ~DeviceFleet();
    DeviceFleet(const DeviceFleet&) = delete;
    DeviceFleet& operator=(const DeviceFleet&) = delete;

    const std::vector<std::string>& device_ids() const { return ids_; }

    // One step of traffic from the next device in turn: telemetry always, every 10th step also
    // a reported patch, every 20th a twin GET.
    void step();
    // `device` publishes one marker message on its telemetry topic (see
    // DeviceGroup::publish_poison); returns the topic.
    std::string publish_poison(const std::string& device, int64_t seq, const std::string& payload);

    // Publishes still waiting for the broker's PUBACK.
    std::size_t unacknowledged() const;
    // "g3: 120 (connected, 2 disconnects); ..." for the groups with unacknowledged publishes
    // ("none" when there are none).
    std::string unacknowledged_by_group() const;
    uint64_t twin_responses() const;
    uint64_t published() const { return published_; }

  private:
    std::vector<std::string> ids_;
    std::vector<std::unique_ptr<DeviceGroup>> groups_;
    std::vector<int64_t> next_seq_;
    std::size_t turn_ = 0;
    uint64_t steps_ = 0;
    std::atomic<uint64_t> published_{0};
};

}  // namespace hubgate::chaos
