#pragma once
// The network thread of a test's libmosquitto client, in place of mosquitto_loop_start().
// libmosquitto's own loop waits with select(), which cannot watch a descriptor numbered 1024 or
// above: in a process that already holds a thousand sockets (the chaos soak's TCP proxy holds
// two per device session) a client created late, or one whose reconnect got a high number, never
// connects. This thread waits with poll() instead and reconnects like loop_forever() would.

#include <atomic>
#include <chrono>
#include <thread>

struct mosquitto;

namespace hubgate::test {

class MosquittoPollThread {
  public:
    // Puts `client` in threaded mode (publishes from other threads only queue their packets)
    // and starts driving it; mosquitto_connect_async() must have been called. `reconnect_delay`
    // is the pause between attempts after the connection was lost or refused.
    explicit MosquittoPollThread(
        ::mosquitto* client, std::chrono::milliseconds reconnect_delay = std::chrono::seconds(1));
    // Stops and joins the thread (call mosquitto_disconnect() first for a clean DISCONNECT).
    ~MosquittoPollThread();
    MosquittoPollThread(const MosquittoPollThread&) = delete;
    MosquittoPollThread& operator=(const MosquittoPollThread&) = delete;

  private:
    void run();

    ::mosquitto* client_;
    std::chrono::milliseconds reconnect_delay_;
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

}  // namespace hubgate::test
