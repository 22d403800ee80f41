#pragma once
// One libmosquitto client speaking for a group of legacy devices "{site}-s{j}" (topics
// t/{site}/s{j}/...): a persistent session (clean_session false), so what the local broker owes
// it survives a broker restart; resubscribes on every connect. Records into the Recorder what
// the broker acknowledged and what came down; answers method calls with their own payload.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "mosquitto_poll_thread.hpp"
#include "recorder.hpp"

struct mosquitto;
struct mosquitto_message;

namespace hubgate::chaos {

class DeviceGroup {
  public:
    DeviceGroup(int local_port, std::string site, Recorder& recorder);
    ~DeviceGroup();
    DeviceGroup(const DeviceGroup&) = delete;
    DeviceGroup& operator=(const DeviceGroup&) = delete;

    void publish_telemetry(const std::string& sensor, int64_t seq);
    void publish_reported(const std::string& sensor, const nlohmann::json& patch);
    void request_twin(const std::string& sensor, const std::string& rid);
    // A marker message on the telemetry topic (a poison fault): the ledger's PoisonMessage of
    // the device with `seq` (added before this call) is marked acknowledged when the broker
    // acknowledges it. Returns the topic.
    std::string publish_poison(const std::string& sensor, int64_t seq, const std::string& payload);

    std::size_t unacknowledged() const;
    uint64_t twin_responses() const;
    // "connected", or "down since rc N" with the reason of its last disconnect (for the facts).
    std::string link_state() const;

  private:
    // What a publish was, to record it once the broker acknowledged it.
    struct Pending {
        std::string device{};
        enum class Kind { Telemetry, Reported, TwinGet, Poison } kind{};
        int64_t seq = 0;
        nlohmann::json patch{};
        int epoch = 0;
    };

    void publish(const std::string& topic, const std::string& payload, Pending pending);
    std::string device_id(const std::string& sensor) const { return site_ + "-" + sensor; }

    static void on_connect(::mosquitto*, void* self, int rc);
    static void on_disconnect(::mosquitto*, void* self, int rc);
    static void on_publish(::mosquitto*, void* self, int mid);
    static void on_message(::mosquitto*, void* self, const ::mosquitto_message* message);
    void handle(const std::string& topic, const std::string& payload, bool retained);

    std::string site_{};
    Recorder& recorder_;
    ::mosquitto* client_ = nullptr;
    std::unique_ptr<test::MosquittoPollThread> network_;
    mutable std::mutex mutex_;  // pending_ and the counters
    std::map<int, Pending> pending_{};
    uint64_t twin_responses_ = 0;
    bool connected_ = false;
    int last_disconnect_rc_ = 0;
    int disconnects_ = 0;
};

}  // namespace hubgate::chaos
