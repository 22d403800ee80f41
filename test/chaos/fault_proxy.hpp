#pragma once
// A TCP proxy the chaos test owns, standing in for a cellular uplink between hubgate and the
// hub: hubgate connects to port(), each connection is relayed to 127.0.0.1:target. No root, no
// network namespace. What it can do to the link, changed at any time from any thread:
//  - latency: every chunk is held `one_way` before it is passed on (each direction);
//  - loss: a fraction of chunks is held an extra 200-600 ms, which is what a lost segment costs
//    a TCP connection (retransmission; later bytes wait behind it); bytes are never corrupted;
//  - hold (blackhole): nothing is read or written either way and nothing is closed, so the
//    endpoints see silence (no RST, no FIN) until released; new connections are accepted and
//    held the same way. Holds nest (a blackhole during a hub outage's hold).
// One epoll thread relays every connection.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <thread>

namespace hubgate::chaos {

class FaultProxy {
  public:
    FaultProxy();  // listens on a free loopback port; forwards nothing until set_target()
    ~FaultProxy();
    FaultProxy(const FaultProxy&) = delete;
    FaultProxy& operator=(const FaultProxy&) = delete;

    int port() const { return port_; }
    void set_target(int port) { target_port_ = port; }

    void set_latency(std::chrono::milliseconds one_way) { latency_ms_ = one_way.count(); }
    void set_loss(double fraction) { loss_permille_ = static_cast<int>(fraction * 1000); }
    void hold();
    void release();
    bool held() const { return holds_ > 0; }

    uint64_t connections() const { return connections_; }

  private:
    void run();

    int listen_fd_ = -1;
    int port_ = 0;
    int wake_fd_ = -1;  // eventfd: wakes the loop when the settings change or on shutdown
    std::atomic<int> target_port_{0};
    std::atomic<int64_t> latency_ms_{0};
    std::atomic<int> loss_permille_{0};
    std::atomic<int> holds_{0};
    std::atomic<bool> stop_{false};
    std::atomic<uint64_t> connections_{0};
    std::thread loop_;
};

}  // namespace hubgate::chaos
