#pragma once
// A minimal MQTT 3.1.1 client over TLS for tests that need what full clients hide: the exact
// CONNACK and SUBACK codes, the broker closing the connection, QoS 2 publishes, and leaving a
// QoS 1 message unacknowledged. Blocking, one thread, bounded waits.

#include <openssl/ssl.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hubsim::test {

using namespace std::chrono_literals;

// One packet read from the broker.
struct MqttPacket {
    uint8_t type = 0;  // high nibble of the fixed header: 2 CONNACK, 3 PUBLISH, 9 SUBACK, ...
    uint8_t flags = 0;
    std::string body;
    // PUBLISH fields
    std::string topic;
    std::string payload;
    uint16_t packet_id = 0;
    int qos() const { return (flags >> 1) & 3; }
    bool dup() const { return (flags & 8) != 0; }
};

class RawMqttClient {
  public:
    // `cert_file`/`key_file`: a client certificate to present (X.509 device authentication).
    RawMqttClient(int port, const std::string& ca_file, const std::string& cert_file = {},
                  const std::string& key_file = {});
    ~RawMqttClient();
    RawMqttClient(const RawMqttClient&) = delete;
    RawMqttClient& operator=(const RawMqttClient&) = delete;

    // Sends CONNECT ("MQTT" protocol name: level 4 is 3.1.1, 5 is MQTT 5) and returns the
    // CONNACK return code (0 accepted); nullopt when the broker closed the connection without one.
    std::optional<int> connect(const std::string& client_id, const std::string& username,
                               const std::string& password, bool clean_session = true,
                               int protocol_level = 4);
    // Returns the granted QoS codes (0x80 = refused); empty when the connection closed.
    std::vector<int> subscribe(const std::vector<std::pair<std::string, int>>& filters);
    void publish(const std::string& topic, const std::string& payload, int qos,
                 bool retain = false);
    // Waits for PUBACK of the last QoS 1 publish; false when the connection closed first.
    bool wait_puback(std::chrono::milliseconds timeout = 5s);
    void puback(uint16_t packet_id);
    void disconnect();

    // The next packet, nullopt on timeout or closed connection (see closed()).
    std::optional<MqttPacket> read(std::chrono::milliseconds timeout = 5s);
    // The next PUBLISH, skipping other packets.
    std::optional<MqttPacket> next_publish(std::chrono::milliseconds timeout = 5s);
    // True once the broker has closed the connection (waits up to `timeout` for it).
    bool wait_closed(std::chrono::milliseconds timeout = 5s);
    bool closed() const { return closed_; }

  private:
    void send(const std::string& packet);
    bool read_exact(char* out, size_t size, std::chrono::steady_clock::time_point deadline);

    int fd_ = -1;
    SSL_CTX* ctx_ = nullptr;
    SSL* ssl_ = nullptr;
    bool closed_ = false;
    uint16_t next_id_ = 1;
    uint16_t last_publish_id_ = 0;
};

}  // namespace hubsim::test
