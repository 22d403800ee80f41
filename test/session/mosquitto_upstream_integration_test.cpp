// The libmosquitto upstream (MosquittoUpstreamFactory) on its own, against hubsim over real TLS
// and against sockets that misbehave: every event the session layer relies on, and every way a
// connect can fail without leaving the loop spinning or waiting forever.
#include <doctest/doctest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>

#include "gateway/session/connect_settings.hpp"
#include "gateway/transport/mosquitto_upstream.hpp"
#include "harness/ports.hpp"
#include "hubsim_rig.hpp"

using namespace hubgate::session;
using namespace hubgate::transport;
using namespace hubgate::session::test;
using namespace std::chrono_literals;
using hubgate::test::HubsimC2d;
using hubgate::test::HubsimFixture;

namespace {

// Records every event; tests wait for the one they expect.
class Recorder final : public UpstreamEvents {
  public:
    void on_connect_result(const ConnectResult& result) override {
        record([&] { connects.push_back(result); });
    }
    void on_connection_lost(const std::string& cause, LossOrigin origin) override {
        record([&] {
            lost.push_back(cause);
            lost_origins.push_back(origin);
        });
    }
    // Answers `keep`: false plays a message the C2D journal could not store.
    bool on_message(std::string topic, std::string payload) override {
        record([&] { messages.emplace_back(std::move(topic), std::move(payload)); });
        return keep;
    }
    void on_subscribe_result(uint64_t tag, bool ok) override {
        record([&] { subscribes.emplace_back(tag, ok); });
    }
    void on_publish_result(uint64_t tag, bool ok, const std::string&) override {
        record([&] { publishes.emplace_back(tag, ok); });
    }
    void on_disconnected() override {
        record([&] { ++disconnected; });
    }

    template <typename Predicate>
    bool wait(Predicate predicate, std::chrono::milliseconds timeout = 20s) {
        std::unique_lock lock(mutex);
        return changed.wait_for(lock, timeout, predicate);
    }

    std::atomic<bool> keep{true};
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<ConnectResult> connects;
    std::vector<std::string> lost;
    std::vector<LossOrigin> lost_origins;
    std::vector<std::pair<std::string, std::string>> messages;
    std::vector<std::pair<uint64_t, bool>> subscribes;
    std::vector<std::pair<uint64_t, bool>> publishes;
    int disconnected = 0;

  private:
    template <typename Change>
    void record(Change change) {
        std::lock_guard lock(mutex);
        change();
        changed.notify_all();
    }
};

// A loopback TCP listener that accepts connections and either resets them in the middle of the
// TLS handshake or keeps them open without a byte of answer (a hub that hangs mid-handshake).
class MuteServer {
  public:
    explicit MuteServer(bool hang_up) : hang_up_(hang_up) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t size = sizeof address;
        REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&address), size) == 0);
        REQUIRE(::listen(fd_, 16) == 0);
        REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size) == 0);
        port_ = ntohs(address.sin_port);
        thread_ = std::thread([this] {
            for (;;) {
                const int client = ::accept(fd_, nullptr, nullptr);
                if (client < 0) {
                    return;  // the listener was shut down
                }
                ++accepted_;
                if (hang_up_) {
                    // Reads the ClientHello, then resets the connection: OpenSSL reports that
                    // as a syscall error, which libmosquitto would take for "try again".
                    char hello[512];
                    [[maybe_unused]] const auto got = ::recv(client, hello, sizeof hello, 0);
                    const linger reset{1, 0};
                    ::setsockopt(client, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
                    ::close(client);
                } else {
                    held_.push_back(client);
                }
            }
        });
    }
    ~MuteServer() {
        ::shutdown(fd_, SHUT_RDWR);
        ::close(fd_);
        thread_.join();
        for (const int client : held_) {
            ::close(client);
        }
    }
    int port() const { return port_; }
    int accepted() const { return accepted_; }

  private:
    bool hang_up_;
    int fd_ = -1;
    int port_ = 0;
    std::atomic<int> accepted_{0};
    std::vector<int> held_;  // accept thread only, until the destructor
    std::thread thread_;
};

ConnectRequest request_for(const HubsimFixture& hub, const std::string& device) {
    auto made = make_device_connect(live_options(hub), device, std::chrono::system_clock::now());
    REQUIRE(std::holds_alternative<DeviceConnect>(made));
    return std::get<DeviceConnect>(made).request;
}

ConnectRequest plain_request(const HubsimFixture& hub, std::chrono::seconds timeout) {
    ConnectRequest request;
    request.username = "nobody";
    request.tls.ca_file = hub.ca_file().string();
    request.connect_timeout = timeout;
    return request;
}

std::string uri(int port) {
    return "ssl://127.0.0.1:" + std::to_string(port);
}

// One connect to a MuteServer with `timeout`: the first connect result within `wait`, if any.
std::optional<ConnectResult> connect_to_mute_server(bool hang_up, std::chrono::seconds timeout,
                                                    std::chrono::seconds wait, int& accepted) {
    HubsimFixture hub(hub_with_devices(1));  // for its CA file only
    MuteServer server(hang_up);
    MosquittoUpstreamFactory factory;
    Recorder events;
    auto connection = factory.create(uri(server.port()), "dev0", events);
    connection->connect(plain_request(hub, timeout));
    const bool answered = events.wait([&] { return !events.connects.empty(); }, wait);
    accepted = server.accepted();
    std::lock_guard lock(events.mutex);
    return answered ? std::optional<ConnectResult>(events.connects[0]) : std::nullopt;
}

std::size_t open_descriptors() {
    std::size_t count = 0;
    for ([[maybe_unused]] const auto& entry :
         std::filesystem::directory_iterator("/proc/self/fd")) {
        ++count;
    }
    return count;
}

// dev0 on a hubsim of its own, connected through a MosquittoUpstreamFactory.
struct ConnectedDevice {
    explicit ConnectedDevice(std::chrono::seconds keep_alive = 240s) {
        auto request = request_for(hub, "dev0");
        request.keep_alive = keep_alive;
        connection->connect(request);
        REQUIRE(events.wait([&] { return events.connects.size() == 1; }));
        REQUIRE(events.connects[0].ok);
    }
    HubsimFixture hub{hub_with_devices(1)};
    MosquittoUpstreamFactory factory;
    Recorder events;
    std::unique_ptr<UpstreamConnection> connection =
        factory.create(uri(hub.mqtts_port()), "dev0", events);
};

}  // namespace

TEST_CASE(
    "connected to hubsim: QoS 1 and QoS 0 publishes, a subscription, messages and "
    "a clean disconnect") {
    ConnectedDevice device;
    auto& [hub, factory, events, connection] = device;

    connection->subscribe({"$iothub/methods/POST/#"}, 0, 7);
    REQUIRE(events.wait([&] { return !events.subscribes.empty(); }));
    CHECK(events.subscribes[0] == std::pair<uint64_t, bool>{7, true});

    connection->publish("devices/dev0/messages/events/", R"({"n":1})", 1, 11);
    connection->publish("devices/dev0/messages/events/", R"({"n":2})", 0, 12);
    REQUIRE(events.wait([&] { return events.publishes.size() == 2; }));
    // The QoS 0 one is reported when written, the QoS 1 one at its PUBACK: either order.
    auto results = events.publishes;
    std::sort(results.begin(), results.end());
    CHECK(results[0] == std::pair<uint64_t, bool>{11, true});
    CHECK(results[1] == std::pair<uint64_t, bool>{12, true});
    CHECK(hub.wait_for_telemetry("dev0", 2).size() == 2);

    // A direct method reaches the subscribed connection.
    std::thread caller([&] { hub.invoke_method("dev0", "ping", nlohmann::json{{"n", 1}}, 2); });
    REQUIRE(events.wait([&] { return !events.messages.empty(); }));
    CHECK(events.messages[0].first.starts_with("$iothub/methods/POST/ping/"));
    caller.join();

    connection->disconnect();
    REQUIRE(events.wait([&] { return events.disconnected == 1; }));
    CHECK(events.lost.empty());
    CHECK(hub.wait_for_connected("dev0", false));

    // Not connected any more: a publish fails at once instead of waiting.
    connection->publish("devices/dev0/messages/events/", "{}", 1, 13);
    REQUIRE(events.wait([&] { return events.publishes.size() == 3; }));
    CHECK(events.publishes[2] == std::pair<uint64_t, bool>{13, false});
}

// The PUBACK of a C2D message waits until the message is kept (session/c2d_keeper.hpp): one that
// could not be kept is never acknowledged, so the hub still has it and delivers it again.
TEST_CASE("a message that could not be kept is not acknowledged: the hub delivers it again") {
    ConnectedDevice device;
    auto& [hub, factory, events, connection] = device;
    connection->subscribe({"devices/dev0/messages/devicebound/#"}, 1, 3);
    REQUIRE(events.wait([&] { return !events.subscribes.empty(); }));
    events.keep = false;
    HubsimC2d c2d;
    c2d.payload = "keep me";
    REQUIRE(hub.send_c2d("dev0", c2d).ok());
    REQUIRE(events.wait([&] { return events.lost.size() == 1; }));
    CHECK(events.lost_origins[0] == LossOrigin::Local);  // hubgate's doing, not another owner's
    CHECK(events.messages.size() == 1);

    events.keep = true;
    connection->connect(request_for(hub, "dev0"));
    REQUIRE(events.wait([&] { return events.connects.size() == 2; }));
    REQUIRE(events.connects[1].ok);
    // The persistent session still holds the subscription and the unacknowledged message.
    REQUIRE(events.wait([&] { return events.messages.size() == 2; }));
    CHECK(events.messages[1].first == events.messages[0].first);
    CHECK(events.messages[1].second == "keep me");
    // Kept this time: acknowledged, so a reconnect brings nothing more.
    connection->disconnect();
    REQUIRE(events.wait([&] { return events.disconnected == 1; }));
    connection->connect(request_for(hub, "dev0"));
    REQUIRE(events.wait([&] { return events.connects.size() == 3; }));
    // hubsim counts a C2D message completed when a reconnect finds it acknowledged.
    bool completed = false;
    for (int i = 0; i < 100 && !completed; ++i) {
        completed = hub.c2d_state("dev0").body.value("completed", 0) == 1;
        if (!completed) {
            std::this_thread::sleep_for(100ms);  // polling interval of a bounded wait
        }
    }
    CHECK(completed);
    CHECK(events.messages.size() == 2);
}

TEST_CASE(
    "kicked by the hub: the connection is reported lost, and the same connection "
    "connects again") {
    ConnectedDevice device;
    auto& [hub, factory, events, connection] = device;
    REQUIRE(hub.wait_for_connected("dev0"));
    REQUIRE(hub.kick("dev0").ok());
    REQUIRE(events.wait([&] { return events.lost.size() == 1; }));
    CHECK(events.lost_origins[0] == LossOrigin::Hub);
    CHECK(events.disconnected == 0);

    connection->connect(request_for(hub, "dev0"));
    REQUIRE(events.wait([&] { return events.connects.size() == 2; }));
    CHECK(events.connects[1].ok);
}

TEST_CASE("a CONNACK refusal is reported with its code and no connection loss") {
    HubsimFixture hub(hub_with_devices(1));
    MosquittoUpstreamFactory factory;
    Recorder events;
    auto connection = factory.create(uri(hub.mqtts_port()), "dev0", events);
    auto request = request_for(hub, "dev0");
    request.password = hub.device_token("dev0") + "x";  // a signature that does not verify
    connection->connect(request);
    REQUIRE(events.wait([&] { return !events.connects.empty(); }));
    CHECK_FALSE(events.connects[0].ok);
    CHECK(events.connects[0].connack_code == 5);
    CHECK(events.lost.empty());
}

TEST_CASE("nothing listening: the connect fails at once") {
    const int port = hubgate::test::free_tcp_port();
    HubsimFixture hub(hub_with_devices(1));  // for its CA file only
    MosquittoUpstreamFactory factory;
    Recorder events;
    auto connection = factory.create(uri(port), "dev0", events);
    connection->connect(plain_request(hub, 30s));
    // Well inside the 30 s connect timeout: the refusal itself is seen.
    REQUIRE(events.wait([&] { return !events.connects.empty(); }, 10s));
    CHECK_FALSE(events.connects[0].ok);
    CHECK(events.connects[0].connack_code == -1);
}

TEST_CASE(
    "a server that resets the connection during the TLS handshake fails the connect at once") {
    int accepted = 0;
    const auto result = connect_to_mute_server(/*hang_up=*/true, 30s, 10s, accepted);
    REQUIRE(result.has_value());
    CHECK_FALSE(result->ok);
    CHECK(accepted == 1);
}

TEST_CASE("a server that accepts and never answers fails the connect at its timeout") {
    int accepted = 0;
    const auto result = connect_to_mute_server(/*hang_up=*/false, 2s, 15s, accepted);
    REQUIRE(result.has_value());
    CHECK_FALSE(result->ok);
    CHECK(result->message.find("no CONNACK") != std::string::npos);
}

TEST_CASE("a connection destroyed while connecting sends no event afterwards") {
    HubsimFixture hub(hub_with_devices(1));
    MosquittoUpstreamFactory factory;
    Recorder events;
    MuteServer server(/*hang_up=*/false);
    {
        auto connection = factory.create(uri(server.port()), "dev0", events);
        connection->connect(plain_request(hub, 1s));
    }
    // The 1 s connect timeout would have fired by now had the link survived its handle.
    CHECK_FALSE(events.wait([&] { return !events.connects.empty(); }, 3s));
}

TEST_CASE(
    "a connected session holds one file descriptor: libmosquitto's wake-up pair is "
    "not opened") {
    constexpr int kSessions = 20;
    HubsimFixture hub(hub_with_devices(kSessions));
    MosquittoUpstreamFactory factory;
    Recorder events;
    std::vector<std::unique_ptr<UpstreamConnection>> connections;
    connections.push_back(factory.create(uri(hub.mqtts_port()), "dev0", events));
    connections[0]->connect(request_for(hub, "dev0"));  // starts the loop (its epoll, eventfd)
    REQUIRE(events.wait([&] { return events.connects.size() == 1; }));
    const std::size_t before = open_descriptors();
    for (int i = 1; i < kSessions; ++i) {
        const std::string id = "dev" + std::to_string(i);
        connections.push_back(factory.create(uri(hub.mqtts_port()), id, events));
        connections.back()->connect(request_for(hub, id));
    }
    REQUIRE(events.wait([&] { return events.connects.size() == kSessions; }));
    for (const auto& result : events.connects) {
        CHECK(result.ok);
    }
    // With the pair it would be three per session (57 here).
    CHECK(open_descriptors() - before == kSessions - 1);
}

TEST_CASE("an idle connection keeps itself alive: the hub never drops it for silence") {
    ConnectedDevice device(5s);  // the broker drops a client silent for 1.5 × this
    auto& [hub, factory, events, connection] = device;
    // Twice the broker's limit with no traffic of our own: only PINGREQs keep the session.
    CHECK_FALSE(events.wait([&] { return !events.lost.empty(); }, 15s));
    connection->publish("devices/dev0/messages/events/", "{}", 1, 1);
    REQUIRE(events.wait([&] { return events.publishes.size() == 1; }));
    CHECK(events.publishes[0] == std::pair<uint64_t, bool>{1, true});
}
