#include "mqtt_clients.hpp"

#include <poll.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <utility>

#include <mosquitto.h>

namespace hubgate::bench {

namespace {

constexpr int kKeepaliveSeconds = 120;
constexpr auto kMiscEvery = std::chrono::milliseconds(500);

struct LibraryInit {
    LibraryInit() { mosquitto_lib_init(); }
    ~LibraryInit() { mosquitto_lib_cleanup(); }
};

void init_library() {
    static LibraryInit init;
}

// A configured, not yet connected client; throws when libmosquitto refuses the settings.
mosquitto* new_client(const BrokerAddress& broker, const ClientSpec& spec, void* userdata) {
    init_library();
    mosquitto* client = mosquitto_new(spec.client_id.c_str(), true, userdata);
    if (client == nullptr)
        throw std::runtime_error("mosquitto_new failed for " + spec.client_id);
    mosquitto_int_option(client, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
    // Without it a responder's PUBACK and its reply PUBLISH meet Nagle and the peer's delayed
    // ACK: 40 ms per round trip that would be the load generator's, not the system's.
    mosquitto_int_option(client, MOSQ_OPT_TCP_NODELAY, 1);
    if (!spec.username.empty())
        mosquitto_username_pw_set(client, spec.username.c_str(), spec.password.c_str());
    if (!broker.ca_file.empty() &&
        mosquitto_tls_set(client, broker.ca_file.c_str(), nullptr, nullptr, nullptr, nullptr) !=
            MOSQ_ERR_SUCCESS) {
        mosquitto_destroy(client);
        throw std::runtime_error("mosquitto_tls_set failed (CA " + broker.ca_file + ")");
    }
    return client;
}

// One poll() round over `clients`: reads what arrived, writes what is pending; returns the
// number of clients whose connection failed in this round.
int drive_once(const std::vector<mosquitto*>& clients, int timeout_ms) {
    std::vector<pollfd> fds;
    std::vector<mosquitto*> owners;
    fds.reserve(clients.size());
    owners.reserve(clients.size());
    for (mosquitto* client : clients) {
        const int fd = mosquitto_socket(client);
        if (fd < 0)
            continue;
        short events = POLLIN;
        if (mosquitto_want_write(client))
            events |= POLLOUT;
        fds.push_back(pollfd{fd, events, 0});
        owners.push_back(client);
    }
    if (::poll(fds.data(), fds.size(), timeout_ms) <= 0)
        return 0;
    int failed = 0;
    for (std::size_t i = 0; i < fds.size(); ++i) {
        int rc = MOSQ_ERR_SUCCESS;
        if (fds[i].revents & (POLLIN | POLLHUP | POLLERR))
            rc = mosquitto_loop_read(owners[i], 64);
        if (rc == MOSQ_ERR_SUCCESS && (fds[i].revents & POLLOUT))
            rc = mosquitto_loop_write(owners[i], 64);
        if (rc != MOSQ_ERR_SUCCESS)
            ++failed;
    }
    return failed;
}

void drive_misc(const std::vector<mosquitto*>& clients) {
    for (mosquitto* client : clients)
        mosquitto_loop_misc(client);
}

}  // namespace

int64_t now_us() {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::optional<int64_t> payload_send_time_us(const char* payload, std::size_t size) {
    if (size < 3 || payload[0] != 't' || payload[1] != '=')
        return std::nullopt;
    int64_t value = 0;
    for (std::size_t i = 2; i < size && payload[i] != ';'; ++i) {
        if (payload[i] < '0' || payload[i] > '9')
            return std::nullopt;
        value = value * 10 + (payload[i] - '0');
    }
    return value;
}

// A publisher's libmosquitto handle and its progress through the current plan.
struct PublisherFleet::Client {
    mosquitto* handle = nullptr;
    bool connected = false;
    int connack = -1;
    int inflight = 0;
    int remaining = 0;
    uint64_t* acknowledged = nullptr;
};

PublisherFleet::PublisherFleet(BrokerAddress broker, std::vector<ClientSpec> clients)
    : broker_(std::move(broker)) {
    for (const auto& spec : clients) {
        auto* client = new Client;
        clients_.push_back(client);
        client->handle = new_client(broker_, spec, client);
        mosquitto_connect_callback_set(client->handle, [](mosquitto*, void* self, int rc) {
            auto* c = static_cast<Client*>(self);
            c->connack = rc;
            c->connected = rc == 0;
        });
        mosquitto_disconnect_callback_set(client->handle, [](mosquitto*, void* self, int) {
            static_cast<Client*>(self)->connected = false;
        });
        mosquitto_publish_callback_set(client->handle, [](mosquitto*, void* self, int) {
            auto* c = static_cast<Client*>(self);
            --c->inflight;
            if (c->acknowledged != nullptr)
                ++*c->acknowledged;
        });
    }
    topics_.reserve(clients.size());
    for (auto& spec : clients)
        topics_.push_back(std::move(spec.topic));
}

PublisherFleet::~PublisherFleet() {
    for (Client* client : clients_) {
        if (client->connected)
            mosquitto_disconnect(client->handle);
        mosquitto_destroy(client->handle);
        delete client;
    }
}

bool PublisherFleet::run_until(const std::function<bool()>& done,
                               std::chrono::steady_clock::time_point until,
                               const std::function<void()>& tick) {
    std::vector<mosquitto*> handles;
    for (Client* client : clients_)
        handles.push_back(client->handle);
    auto next_misc = std::chrono::steady_clock::now();
    while (!done()) {
        const auto now = std::chrono::steady_clock::now();
        if (now > until)
            return false;
        if (tick)
            tick();
        drive_once(handles, 1);
        if (now >= next_misc) {
            drive_misc(handles);
            next_misc = now + kMiscEvery;
        }
    }
    return true;
}

bool PublisherFleet::connect(std::chrono::milliseconds timeout) {
    for (Client* client : clients_) {
        const int rc =
            mosquitto_connect(client->handle, "127.0.0.1", broker_.port, kKeepaliveSeconds);
        if (rc != MOSQ_ERR_SUCCESS) {
            std::fprintf(stderr, "connect to port %d failed: %s\n", broker_.port,
                         mosquitto_strerror(rc));
            return false;
        }
    }
    const bool all = run_until(
        [&] {
            for (Client* client : clients_)
                if (!client->connected)
                    return false;
            return true;
        },
        std::chrono::steady_clock::now() + timeout, nullptr);
    if (!all) {
        for (Client* client : clients_) {
            if (!client->connected) {
                std::fprintf(stderr, "a client was not accepted (CONNACK %d)\n", client->connack);
                break;
            }
        }
    }
    return all;
}

PublishResult PublisherFleet::publish(const PublishPlan& plan) {
    PublishResult result;
    for (Client* client : clients_) {
        client->remaining = plan.per_client;
        client->inflight = 0;
        client->acknowledged = &result.acknowledged;
        mosquitto_max_inflight_messages_set(client->handle, static_cast<unsigned>(plan.window));
    }
    const uint64_t total = static_cast<uint64_t>(plan.per_client) * clients_.size();
    // At least room for the send-time stamp.
    std::string payload(std::max<std::size_t>(plan.payload_size, 24), 'x');
    const auto start = std::chrono::steady_clock::now();
    std::size_t cursor = 0;
    const auto send_one = [&](std::size_t index) {
        Client* client = clients_[index];
        char stamp[32];
        const int length =
            std::snprintf(stamp, sizeof stamp, "t=%lld;", static_cast<long long>(now_us()));
        std::memcpy(payload.data(), stamp, static_cast<std::size_t>(length));
        const int rc =
            mosquitto_publish(client->handle, nullptr, topics_[index].c_str(),
                              static_cast<int>(payload.size()), payload.data(), 1, false);
        if (rc != MOSQ_ERR_SUCCESS)
            return false;
        --client->remaining;
        ++client->inflight;
        ++result.published;
        return true;
    };
    const auto tick = [&] {
        uint64_t allowed = total;
        if (plan.rate > 0) {
            const double elapsed =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            allowed = std::min<uint64_t>(total, static_cast<uint64_t>(elapsed * plan.rate) + 1);
        }
        // Round robin: one message per client per pass, while the budget and windows allow.
        std::size_t idle_in_a_row = 0;
        while (result.published < allowed && idle_in_a_row < clients_.size()) {
            Client* client = clients_[cursor];
            if (client->connected && client->remaining > 0 && client->inflight < plan.window &&
                send_one(cursor)) {
                idle_in_a_row = 0;
            } else {
                ++idle_in_a_row;
            }
            cursor = (cursor + 1) % clients_.size();
        }
    };
    result.complete =
        run_until([&] { return result.acknowledged >= total; }, start + plan.timeout, tick);
    result.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    for (Client* client : clients_)
        client->acknowledged = nullptr;
    return result;
}

Sink::Sink(BrokerAddress broker, ClientSpec spec, ReplyTopic reply)
    : broker_(std::move(broker)), spec_(std::move(spec)), reply_(std::move(reply)) {
    client_ = new_client(broker_, spec_, this);
    mosquitto_connect_callback_set(client_, [](mosquitto* m, void* self, int rc) {
        if (rc == 0)
            mosquitto_subscribe(m, nullptr, static_cast<Sink*>(self)->spec_.topic.c_str(), 1);
    });
    mosquitto_subscribe_callback_set(client_, [](mosquitto*, void* self, int, int, const int*) {
        static_cast<Sink*>(self)->subscribed_.store(true);
    });
    mosquitto_message_callback_set(
        client_, [](mosquitto* m, void* self, const mosquitto_message* message) {
            auto* sink = static_cast<Sink*>(self);
            const int64_t arrival = now_us();
            sink->received_.fetch_add(1);
            sink->last_arrival_us_.store(arrival);
            if (sink->reply_) {
                const std::string topic = sink->reply_(message->topic);
                static const char kBody[] = R"({"ok":true})";
                if (!topic.empty())
                    mosquitto_publish(m, nullptr, topic.c_str(), sizeof kBody - 1, kBody, 0, false);
            }
            if (!sink->recording_.load())
                return;
            const auto sent = payload_send_time_us(static_cast<const char*>(message->payload),
                                                   static_cast<std::size_t>(message->payloadlen));
            if (sent) {
                std::lock_guard lock(sink->latencies_mutex_);
                sink->latencies_us_.push_back(arrival - *sent);
            }
        });
}

Sink::~Sink() {
    stopping_.store(true);
    if (thread_.joinable())
        thread_.join();
    mosquitto_disconnect(client_);
    mosquitto_destroy(client_);
}

bool Sink::start(std::chrono::milliseconds timeout) {
    if (mosquitto_connect(client_, "127.0.0.1", broker_.port, kKeepaliveSeconds) !=
        MOSQ_ERR_SUCCESS)
        return false;
    thread_ = std::thread([this] { loop(); });
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (!subscribed_.load()) {
        if (std::chrono::steady_clock::now() > until)
            return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
}

void Sink::loop() {
    const std::vector<mosquitto*> handles{client_};
    auto next_misc = std::chrono::steady_clock::now();
    while (!stopping_.load()) {
        drive_once(handles, 20);
        const auto now = std::chrono::steady_clock::now();
        if (now >= next_misc) {
            drive_misc(handles);
            next_misc = now + kMiscEvery;
        }
    }
}

std::vector<int64_t> Sink::take_latencies() {
    std::lock_guard lock(latencies_mutex_);
    return std::exchange(latencies_us_, {});
}

}  // namespace hubgate::bench
