#pragma once
// Tells the local link how far the local broker has got with hubgate's PUBACKs.
//
// Why: mosquitto reads one packet per socket per turn of its loop, so with many devices
// publishing it falls far behind on the PUBACKs of its one busy subscriber, hubgate; and with
// `max_inflight_messages 0` (docs/operations.md recommends it for hubgate's broker) nothing holds
// it back from sending meanwhile. Measured: 10 devices x 3,000 messages, hubgate killed when the
// hub had a third of them: 25,900 PUBACKs (103 KB) sat unread in the broker's socket, and the
// broker redelivered those 25,700 messages, which hubgate had already stored, to the next process.
//
// How: after each committed batch the link publishes a marker (QoS 0, the count of messages it
// has taken) to a `$`-topic of its own, behind that batch's PUBACKs on the same connection; this
// second connection is subscribed to that topic. The broker handles a connection's packets in
// order, so once the marker comes back here every PUBACK before it has been processed. The link
// stops reading while more than `local.max_unconfirmed` messages are taken and not confirmed.
// (`#` and `+` never match a `$`-topic, so no mapping sees the markers.)
//
// One thread of its own drives the client with poll(), reconnecting after a loss; until it is
// subscribed, ready() is false and the link does not wait for it.

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>

#include "gateway/transport/local_link_options.hpp"
#include "gateway/transport/mosquitto_client.hpp"

namespace hubgate::transport {

class PubackEcho {
  public:
    // `on_echo` runs on the echo thread whenever a marker came back (wake the link there).
    PubackEcho(LocalLinkOptions options, std::function<void()> on_echo);
    ~PubackEcho();  // stop()
    PubackEcho(const PubackEcho&) = delete;
    PubackEcho& operator=(const PubackEcho&) = delete;

    // Starts the thread (connects in the background); false with `error` for unusable settings.
    bool start(std::string& error);
    void stop();

    // The topic the link publishes its markers to.
    const std::string& topic() const { return topic_; }
    // Connected and subscribed: markers published now come back.
    bool ready() const { return ready_; }
    // The highest marker that came back (0: none yet).
    std::uint64_t confirmed() const { return confirmed_; }

  private:
    void run();
    bool connect_client();
    void drop_client();

    friend struct EchoCallbacks;
    void handle_connect(int rc);
    void handle_subscribe(int qos_count, const int* granted);
    void handle_message(const void* payload, int size);

    LocalLinkOptions options_;
    std::function<void()> on_echo_;
    std::string topic_;
    MosquittoPtr client_;
    std::atomic<bool> ready_{false};
    std::atomic<std::uint64_t> confirmed_{0};
    std::atomic<bool> stopping_{false};
    bool refused_logged_ = false;
    std::thread thread_;
};

}  // namespace hubgate::transport
