#pragma once
// A tiny HTTP CONNECT proxy for tests: accepts on a free loopback port, opens the requested
// tunnel (loopback targets only) and relays bytes both ways. Counts the tunnels it opened.

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace hubgate::session::test {

class ConnectProxy {
  public:
    ConnectProxy();
    ~ConnectProxy();
    ConnectProxy(const ConnectProxy&) = delete;
    ConnectProxy& operator=(const ConnectProxy&) = delete;

    int port() const { return port_; }
    int tunnels() const { return tunnels_; }
    std::vector<std::string> targets() const;

  private:
    void accept_loop();
    void serve(int client);

    int listen_fd_ = -1;
    int port_ = 0;
    std::atomic<bool> stop_{false};
    std::atomic<int> tunnels_{0};
    mutable std::mutex mutex_;
    std::vector<std::string> targets_;
    std::vector<std::thread> workers_;
    std::thread acceptor_;
};

}  // namespace hubgate::session::test
