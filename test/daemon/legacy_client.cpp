#include "legacy_client.hpp"

#include <mosquitto.h>

#include <stdexcept>

namespace hubgate::test {

namespace {

struct LibraryInit {
    LibraryInit() { mosquitto_lib_init(); }
};

}  // namespace

LegacyClient::LegacyClient(int port, std::string client_id) {
    static LibraryInit init;
    client_ = mosquitto_new(client_id.c_str(), true, this);
    if (client_ == nullptr) {
        throw std::runtime_error("mosquitto_new failed");
    }
    mosquitto_connect_callback_set(client_, &LegacyClient::on_connect);
    mosquitto_publish_callback_set(client_, &LegacyClient::on_publish);
    mosquitto_message_callback_set(client_, &LegacyClient::on_message);
    // Unlimited in-flight and queued messages: the tests publish thousands at once.
    mosquitto_int_option(client_, MOSQ_OPT_SEND_MAXIMUM, 1000);
    mosquitto_max_inflight_messages_set(client_, 0);
    mosquitto_connect_async(client_, "127.0.0.1", port, 30);
    network_ = std::make_unique<MosquittoPollThread>(client_);
}

LegacyClient::~LegacyClient() {
    mosquitto_disconnect(client_);
    network_.reset();
    mosquitto_destroy(client_);
}

bool LegacyClient::wait_connected(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [this] { return connected_; });
}

bool LegacyClient::publish(const std::string& topic, const std::string& payload, int qos,
                           bool retain) {
    return mosquitto_publish(client_, nullptr, topic.c_str(), static_cast<int>(payload.size()),
                             payload.data(), qos, retain) == MOSQ_ERR_SUCCESS;
}

bool LegacyClient::wait_acknowledged(std::size_t count, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return acknowledged_ >= count; });
}

bool LegacyClient::subscribe(const std::string& filter) {
    {
        std::lock_guard lock(mutex_);
        filters_.push_back(filter);
    }
    return mosquitto_subscribe(client_, nullptr, filter.c_str(), 1) == MOSQ_ERR_SUCCESS;
}

std::optional<LegacyMessage> LegacyClient::wait_for(
    const std::function<bool(const LegacyMessage&)>& match, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    std::optional<LegacyMessage> found;
    changed_.wait_for(lock, timeout, [&] {
        for (const auto& message : received_) {
            if (match(message)) {
                found = message;
                return true;
            }
        }
        return false;
    });
    return found;
}

std::vector<LegacyMessage> LegacyClient::received() const {
    std::lock_guard lock(mutex_);
    return received_;
}

void LegacyClient::on_connect(::mosquitto* client, void* self, int rc) {
    auto* me = static_cast<LegacyClient*>(self);
    std::vector<std::string> filters;
    {
        std::lock_guard lock(me->mutex_);
        me->connected_ = rc == 0;
        filters = me->filters_;
    }
    // A clean session forgets subscriptions: renew them after a reconnect.
    for (const auto& filter : filters) {
        mosquitto_subscribe(client, nullptr, filter.c_str(), 1);
    }
    me->changed_.notify_all();
}

void LegacyClient::on_publish(::mosquitto*, void* self, int) {
    auto* me = static_cast<LegacyClient*>(self);
    {
        std::lock_guard lock(me->mutex_);
        ++me->acknowledged_;
    }
    me->changed_.notify_all();
}

void LegacyClient::on_message(::mosquitto*, void* self, const ::mosquitto_message* message) {
    auto* me = static_cast<LegacyClient*>(self);
    {
        std::lock_guard lock(me->mutex_);
        me->received_.push_back({message->topic,
                                 std::string(static_cast<const char*>(message->payload),
                                             static_cast<std::size_t>(message->payloadlen)),
                                 message->retain});
    }
    me->changed_.notify_all();
}

}  // namespace hubgate::test
