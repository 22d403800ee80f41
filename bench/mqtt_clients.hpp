#pragma once
// Load generation and counting with libmosquitto, many clients in one thread: every client's
// socket is driven from one poll() loop (mosquitto_loop() uses pselect and fails above fd 1024),
// so a thousand publishers cost one thread and the generator stays far from the bottleneck.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

struct mosquitto;

namespace hubgate::bench {

// Where and how every client of a fleet connects.
struct BrokerAddress {
    int port = 0;
    std::string ca_file{};  // non-empty: TLS (the server certificate must name 127.0.0.1)
};

// One client: its MQTT identity and the topic it publishes to (or subscribes to, for a sink).
struct ClientSpec {
    std::string client_id{};
    std::string topic{};
    std::string username{};
    std::string password{};
};

// What a publishing run asks for: `per_client` QoS 1 messages from each client, at most `window`
// unacknowledged per client; `rate` messages/s across the fleet (0: as fast as acknowledged).
// Payloads are ASCII: "t=<send time, µs since the epoch>;" padded with 'x' to `payload_size`.
struct PublishPlan {
    int per_client = 0;
    std::size_t payload_size = 100;
    int window = 16;
    double rate = 0;
    std::chrono::milliseconds timeout{60000};
};

// What a publishing run did.
struct PublishResult {
    uint64_t published = 0;
    uint64_t acknowledged = 0;
    double seconds = 0;  // from the first publish to the last acknowledgement
    bool complete = false;
};

// Microseconds since the epoch (system clock: comparable with other processes' timestamps).
int64_t now_us();
// The send time written by PublishPlan payloads, or nullopt when `payload` has none.
std::optional<int64_t> payload_send_time_us(const char* payload, std::size_t size);

// N clients that connect, then publish a plan. Not thread-safe: one caller drives it.
class PublisherFleet {
  public:
    PublisherFleet(BrokerAddress broker, std::vector<ClientSpec> clients);
    ~PublisherFleet();
    PublisherFleet(const PublisherFleet&) = delete;
    PublisherFleet& operator=(const PublisherFleet&) = delete;

    // Connects every client (CONNACK accepted); false when not all did within `timeout`.
    bool connect(std::chrono::milliseconds timeout);
    PublishResult publish(const PublishPlan& plan);
    std::size_t size() const { return clients_.size(); }

  private:
    struct Client;
    bool run_until(const std::function<bool()>& done, std::chrono::steady_clock::time_point until,
                   const std::function<void()>& tick);

    BrokerAddress broker_;
    std::vector<Client*> clients_;
    std::vector<std::string> topics_;  // per client, same order
};

// Given an arrived message's topic, the topic to answer on (QoS 0, a small JSON body), or "".
using ReplyTopic = std::function<std::string(const std::string& topic)>;

// One subscriber on its own thread that counts (and optionally timestamps) arrivals, and
// answers each when given a ReplyTopic (a method responder).
class Sink {
  public:
    // spec.topic: the subscription filter.
    Sink(BrokerAddress broker, ClientSpec spec, ReplyTopic reply = nullptr);
    ~Sink();
    Sink(const Sink&) = delete;
    Sink& operator=(const Sink&) = delete;

    // Connects and subscribes (QoS 1) on the sink's thread; false when not done in `timeout`.
    bool start(std::chrono::milliseconds timeout);
    uint64_t received() const { return received_.load(); }
    // Microseconds since the epoch of the latest arrival.
    int64_t last_arrival_us() const { return last_arrival_us_.load(); }
    // Start/stop recording publish→arrival latencies (µs) from the payload's send time.
    void record_latency(bool on) { recording_.store(on); }
    std::vector<int64_t> take_latencies();

  private:
    void loop();

    BrokerAddress broker_;
    ClientSpec spec_;
    ReplyTopic reply_;
    mosquitto* client_ = nullptr;
    std::atomic<bool> subscribed_{false};
    std::atomic<bool> stopping_{false};
    std::atomic<bool> recording_{false};
    std::atomic<uint64_t> received_{0};
    std::atomic<int64_t> last_arrival_us_{0};
    std::mutex latencies_mutex_;
    std::vector<int64_t> latencies_us_;
    std::thread thread_;
};

}  // namespace hubgate::bench
