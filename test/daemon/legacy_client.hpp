#pragma once
// A legacy MQTT device (or many: one client may publish for any number of device topics) talking
// to the local broker with libmosquitto, for the end-to-end tests.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "mosquitto_poll_thread.hpp"

struct mosquitto;
struct mosquitto_message;

namespace hubgate::test {

using namespace std::chrono_literals;

// One message the client received.
struct LegacyMessage {
    std::string topic;
    std::string payload;
    bool retain = false;
};

// Matchers for LegacyClient::wait_for.
inline auto topic_is(const std::string& topic) {
    return [topic](const LegacyMessage& m) { return m.topic == topic; };
}
inline auto topic_starts_with(const std::string& prefix) {
    return [prefix](const LegacyMessage& m) { return m.topic.rfind(prefix, 0) == 0; };
}

// A connected libmosquitto client (its own network thread, mosquitto_poll_thread.hpp).
// Reconnects by itself.
class LegacyClient {
  public:
    LegacyClient(int port, std::string client_id);
    ~LegacyClient();
    LegacyClient(const LegacyClient&) = delete;
    LegacyClient& operator=(const LegacyClient&) = delete;

    bool wait_connected(std::chrono::milliseconds timeout = 10s);
    // QoS 1 unless told otherwise; returns false when libmosquitto refused it at once.
    bool publish(const std::string& topic, const std::string& payload, int qos = 1,
                 bool retain = false);
    // Waits until the broker acknowledged `count` publishes in total.
    bool wait_acknowledged(std::size_t count, std::chrono::milliseconds timeout = 60s);
    bool subscribe(const std::string& filter);
    // Waits for a message whose topic satisfies `match` (also one already received).
    std::optional<LegacyMessage> wait_for(const std::function<bool(const LegacyMessage&)>& match,
                                          std::chrono::milliseconds timeout = 20s);
    std::vector<LegacyMessage> received() const;

  private:
    static void on_connect(::mosquitto*, void* self, int rc);
    static void on_publish(::mosquitto*, void* self, int mid);
    static void on_message(::mosquitto*, void* self, const ::mosquitto_message* message);

    ::mosquitto* client_ = nullptr;
    std::unique_ptr<MosquittoPollThread> network_;
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    bool connected_ = false;
    std::size_t acknowledged_ = 0;
    std::vector<LegacyMessage> received_;
    std::vector<std::string> filters_;
};

}  // namespace hubgate::test
