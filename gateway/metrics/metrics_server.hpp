#pragma once
// The Prometheus scrape endpoint: GET /metrics over HTTP (cpp-httplib) on its own thread.

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>

namespace httplib {
class Server;
}

namespace hubgate::metrics {

class Registry;

// Serves registry.render() at /metrics; any other path is 404, any other method 405.
class MetricsServer {
  public:
    explicit MetricsServer(const Registry& registry);
    ~MetricsServer();  // stops
    MetricsServer(const MetricsServer&) = delete;
    MetricsServer& operator=(const MetricsServer&) = delete;

    // Binds host:port (port 0: a free port, see port()) and starts serving. Returns why it could
    // not, or nullopt when it serves. The address is used as given: loopback unless the operator
    // named another one.
    std::optional<std::string> start(const std::string& host, std::uint16_t port);
    std::uint16_t port() const { return port_; }
    void stop();

  private:
    const Registry& registry_;
    std::unique_ptr<httplib::Server> server_;
    std::thread thread_;
    std::atomic<bool> listen_returned_{false};
    std::uint16_t port_ = 0;
};

}  // namespace hubgate::metrics
