#pragma once
// A private mosquitto for local-link tests: its own config in a temp dir, a free loopback
// port that stays the same across restarts, and mosquitto_pub as the legacy device.

#include <memory>
#include <string>
#include <vector>

#include "harness/process.hpp"
#include "harness/scratch_dir.hpp"

namespace hubgate::transport::test {

class LocalBroker {
  public:
    // A plain listener on port(), open to anonymous clients if `anonymous`.
    explicit LocalBroker(bool anonymous = true);
    ~LocalBroker();

    // Appends to the config (more listeners, TLS, auth); call before start().
    void add_config(const std::string& text);

    void start();  // waits for port() to accept
    void stop();
    int port() const { return port_; }
    const hubgate::test::ScratchDir& dir() const { return dir_; }

  private:
    hubgate::test::ScratchDir dir_;
    int port_;
    std::string conf_text_;
    std::string conf_;
    std::unique_ptr<hubgate::test::Process> process_;
};

// Publishes with mosquitto_pub (QoS 1 unless `args` say otherwise); true on success.
bool publish(int port, const std::string& topic, const std::string& payload,
             std::vector<std::string> args = {});
// argv of a line-buffered mosquitto_sub on 127.0.0.1:port followed by `args` (with -d it
// prints "SUBACK" once subscribed).
std::vector<std::string> subscriber_argv(int port, std::vector<std::string> args);
// Publishes one message per line of `lines` over a single connection.
bool publish_lines(int port, const std::string& topic, const std::string& lines);

}  // namespace hubgate::transport::test
