#include "device_group.hpp"

#include <mosquitto.h>

#include <stdexcept>
#include <vector>

namespace hubgate::chaos {

namespace {

struct LibraryInit {
    LibraryInit() { mosquitto_lib_init(); }
};

std::vector<std::string> split(const std::string& topic) {
    std::vector<std::string> levels;
    std::size_t start = 0;
    while (true) {
        const auto slash = topic.find('/', start);
        levels.push_back(topic.substr(start, slash - start));
        if (slash == std::string::npos) {
            return levels;
        }
        start = slash + 1;
    }
}

}  // namespace

DeviceGroup::DeviceGroup(int local_port, std::string site, Recorder& recorder)
    : site_(std::move(site)), recorder_(recorder) {
    static LibraryInit init;
    client_ = mosquitto_new(("chaos-" + site_).c_str(), false, this);
    if (client_ == nullptr) {
        throw std::runtime_error("mosquitto_new failed");
    }
    mosquitto_connect_callback_set(client_, &DeviceGroup::on_connect);
    mosquitto_disconnect_callback_set(client_, &DeviceGroup::on_disconnect);
    mosquitto_publish_callback_set(client_, &DeviceGroup::on_publish);
    mosquitto_message_callback_set(client_, &DeviceGroup::on_message);
    // A finite window, not 0 ("unlimited"): after a reconnect libmosquitto resends the
    // in-flight messages only while it has send quota; with 0 it marks them invalid and never
    // sends them (the whole client's stream stalls after the first broker restart).
    mosquitto_int_option(client_, MOSQ_OPT_SEND_MAXIMUM, 1000);
    mosquitto_max_inflight_messages_set(client_, 1000);
    mosquitto_connect_async(client_, "127.0.0.1", local_port, 30);
    network_ = std::make_unique<test::MosquittoPollThread>(client_);
}

DeviceGroup::~DeviceGroup() {
    mosquitto_disconnect(client_);
    network_.reset();
    mosquitto_destroy(client_);
}

void DeviceGroup::publish_telemetry(const std::string& sensor, int64_t seq) {
    const nlohmann::json payload = {{"seq", seq}};
    publish("t/" + site_ + "/" + sensor + "/telemetry", payload.dump(),
            {device_id(sensor), Pending::Kind::Telemetry, seq, nullptr, 0});
}

void DeviceGroup::publish_reported(const std::string& sensor, const nlohmann::json& patch) {
    publish("t/" + site_ + "/" + sensor + "/state", patch.dump(),
            {device_id(sensor), Pending::Kind::Reported, 0, patch, recorder_.epoch()});
}

void DeviceGroup::request_twin(const std::string& sensor, const std::string& rid) {
    publish("t/" + site_ + "/" + sensor + "/twin/get/" + rid, "",
            {device_id(sensor), Pending::Kind::TwinGet, 0, nullptr, 0});
}

std::string DeviceGroup::publish_poison(const std::string& sensor, int64_t seq,
                                        const std::string& payload) {
    const auto topic = "t/" + site_ + "/" + sensor + "/telemetry";
    publish(topic, payload, {device_id(sensor), Pending::Kind::Poison, seq, nullptr, 0});
    return topic;
}

void DeviceGroup::publish(const std::string& topic, const std::string& payload, Pending pending) {
    // Held across the call so that on_publish (network thread) finds the entry.
    std::lock_guard lock(mutex_);
    int mid = 0;
    const int rc = mosquitto_publish(client_, &mid, topic.c_str(), static_cast<int>(payload.size()),
                                     payload.data(), 1, false);
    // NO_CONN: libmosquitto queued the message (persistent session) and sends it on reconnect.
    if (rc == MOSQ_ERR_SUCCESS || rc == MOSQ_ERR_NO_CONN) {
        pending_[mid] = std::move(pending);
    }
}

std::size_t DeviceGroup::unacknowledged() const {
    std::lock_guard lock(mutex_);
    return pending_.size();
}

uint64_t DeviceGroup::twin_responses() const {
    std::lock_guard lock(mutex_);
    return twin_responses_;
}

std::string DeviceGroup::link_state() const {
    std::lock_guard lock(mutex_);
    return (connected_ ? std::string("connected")
                       : "down (last rc " + std::to_string(last_disconnect_rc_) + ")") +
           ", " + std::to_string(disconnects_) + " disconnects";
}

void DeviceGroup::on_disconnect(::mosquitto*, void* self, int rc) {
    auto* me = static_cast<DeviceGroup*>(self);
    std::lock_guard lock(me->mutex_);
    me->connected_ = false;
    me->last_disconnect_rc_ = rc;
    ++me->disconnects_;
}

void DeviceGroup::on_connect(::mosquitto* client, void* self, int rc) {
    if (rc != 0) {
        return;
    }
    {
        auto* me = static_cast<DeviceGroup*>(self);
        std::lock_guard lock(me->mutex_);
        me->connected_ = true;
    }
    const auto& site = static_cast<DeviceGroup*>(self)->site_;
    for (const auto& filter : {"t/" + site + "/+/inbox", "t/" + site + "/+/config",
                               "t/" + site + "/+/rpc/+/+", "t/" + site + "/+/twin/res/+/+"}) {
        mosquitto_subscribe(client, nullptr, filter.c_str(), 1);
    }
}

void DeviceGroup::on_publish(::mosquitto*, void* self, int mid) {
    auto* me = static_cast<DeviceGroup*>(self);
    Pending done;
    {
        std::lock_guard lock(me->mutex_);
        const auto found = me->pending_.find(mid);
        if (found == me->pending_.end()) {
            return;
        }
        done = std::move(found->second);
        me->pending_.erase(found);
    }
    if (done.kind == Pending::Kind::TwinGet) {
        return;
    }
    me->recorder_.update([&](Ledger& ledger) {
        auto& device = ledger.devices[done.device];
        if (done.kind == Pending::Kind::Telemetry) {
            device.telemetry_acked.push_back(done.seq);
        } else if (done.kind == Pending::Kind::Poison) {
            for (auto& poison : ledger.poison) {
                poison.acked =
                    poison.acked || (poison.device == done.device && poison.seq == done.seq);
            }
        } else {
            device.reported.push_back({done.patch, done.epoch});
        }
    });
}

void DeviceGroup::on_message(::mosquitto*, void* self, const ::mosquitto_message* message) {
    static_cast<DeviceGroup*>(self)->handle(
        message->topic,
        std::string(static_cast<const char*>(message->payload),
                    static_cast<std::size_t>(message->payloadlen)),
        message->retain);
}

void DeviceGroup::handle(const std::string& topic, const std::string& payload, bool retained) {
    // t/{site}/{sensor}/inbox | config | rpc/{method}/{rid} | twin/res/{status}/{rid}
    const auto levels = split(topic);
    if (levels.size() < 4) {
        return;
    }
    const std::string device = device_id(levels[2]);
    const std::string& what = levels[3];
    if (what == "rpc" && levels.size() == 6) {
        const auto reply = topic + "/reply/200";
        mosquitto_publish(client_, nullptr, reply.c_str(), static_cast<int>(payload.size()),
                          payload.data(), 1, false);
        return;
    }
    if (what == "twin") {
        std::lock_guard lock(mutex_);
        ++twin_responses_;
        return;
    }
    if (what == "inbox") {
        recorder_.update(
            [&](Ledger& ledger) { ledger.devices[device].c2d_seen.push_back(payload); });
        return;
    }
    if (what == "config" && !retained) {
        // A retained copy replays what was already delivered (after a resubscribe): not news.
        const auto document = nlohmann::json::parse(payload, nullptr, false);
        if (document.is_object() && document.contains("dseq") &&
            document["dseq"].is_number_integer()) {
            const auto dseq = document["dseq"].get<int64_t>();
            recorder_.update(
                [&](Ledger& ledger) { ledger.devices[device].desired_seen.push_back(dseq); });
        }
    }
}

}  // namespace hubgate::chaos
