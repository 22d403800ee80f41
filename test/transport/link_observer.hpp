#pragma once
// Records what a LocalLink delivers and lets a test wait (bounded) for it.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "gateway/transport/local_link.hpp"

namespace hubgate::transport::test {

using namespace std::chrono_literals;

struct Received {
    std::string topic;
    std::string payload;
    int qos = 0;
    bool retain = false;
};

class LinkObserver {
  public:
    // Handlers that record into this observer (on_message answers taken).
    LocalLinkHandlers handlers();

    InboundVerdict record(const InboundMessage& message);
    std::vector<Received> received() const;
    std::vector<std::string> payloads() const;
    bool has_payload(const std::string& payload) const;
    // Waits until `done(received)` holds.
    bool wait(const std::function<bool(const std::vector<Received>&)>& done,
              std::chrono::milliseconds timeout = 20s) const;
    bool wait_for_payload(const std::string& payload,
                          std::chrono::milliseconds timeout = 20s) const;

  private:
    mutable std::mutex mutex_;
    mutable std::condition_variable changed_;
    std::vector<Received> received_;
};

// Polls `condition` until it holds or `timeout` passes (for counters of the link).
bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout = 20s);

// Options for a plain, anonymous connection to 127.0.0.1:port.
LocalLinkOptions plain_options(int port, std::vector<std::string> filters,
                               std::string client_id = "hubgate-test");

}  // namespace hubgate::transport::test
