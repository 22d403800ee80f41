#include "gateway/daemon/spool_sender.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace hubgate::daemon {

namespace {

// The spool's message id travels as $.mid unless the mapping set one itself, so a message sent
// again after a crash or an outage carries the id it had the first time.
session::Properties with_message_id(const spool::SpooledMessage& spooled) {
    session::Properties properties = spooled.message.properties;
    const bool has_mid = std::any_of(properties.begin(), properties.end(),
                                     [](const auto& p) { return p.first == "$.mid"; });
    if (!has_mid) {
        properties.emplace_back("$.mid", spooled.mid);
    }
    return properties;
}

}  // namespace

SpoolSender::SpoolSender(spool::Spool& spool, HubLink& hub, BridgeCounters& counters)
    : spool_(spool), hub_(hub), counters_(counters) {}

SpoolSender::~SpoolSender() {
    stop();
}

void SpoolSender::start() {
    std::lock_guard lock(mutex_);
    if (thread_.joinable()) {
        return;
    }
    stopping_ = false;
    thread_ = std::thread([this] { run(); });
}

void SpoolSender::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) {
        thread_.join();
    }
}

void SpoolSender::notify(const std::string& device_id) {
    post(Notify{device_id});
}

void SpoolSender::session_state(const std::string& device_id, session::SessionState state) {
    post(StateChange{device_id, state});
}

void SpoolSender::post(Event event) {
    {
        std::lock_guard lock(mutex_);
        events_.push_back(std::move(event));
    }
    wake_.notify_one();
}

void SpoolSender::run() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        wake_.wait_for(lock, std::chrono::milliseconds(500),
                       [this] { return stopping_ || !events_.empty(); });
        std::deque<Event> batch;
        batch.swap(events_);
        lock.unlock();
        for (const Event& event : batch) {
            std::visit([this](const auto& e) { handle(e); }, event);
        }
        if (freed_in_batch_ && space_freed_) {
            space_freed_();
        }
        freed_in_batch_ = false;
        retry_waiting_devices();
        lock.lock();
    }
}

void SpoolSender::handle(const Notify& event) {
    auto& progress = devices_[event.device_id];
    if (!progress.waiting) {
        pump(event.device_id);
    }
}

void SpoolSender::handle(const Result& event) {
    switch (event.status) {
        case session::PublishStatus::Acked:
            if (spool_.ack(event.device_id, event.seq)) {
                ++counters_.telemetry_acked;
                freed_in_batch_ = true;
            }
            if (!devices_[event.device_id].waiting) {
                pump(event.device_id);
            }
            return;
        case session::PublishStatus::Rejected:
            // The session refuses it for good (too large for the hub): sending it again would
            // block the device's queue forever.
            spool_.ack(event.device_id, event.seq);
            count_rejection(counters_, BridgeReject::payload_too_large, event.device_id,
                            "refused by the device session");
            pump(event.device_id);
            return;
        case session::PublishStatus::NotConnected:
        case session::PublishStatus::ConnectionLost:
        case session::PublishStatus::Closed:
            break;
    }
    auto& progress = devices_[event.device_id];
    if (!progress.waiting) {
        spdlog::debug("spool: {} waits for its session ({})", event.device_id,
                      session::to_string(event.status));
        progress.waiting = true;
        progress.waiting_since = std::chrono::steady_clock::now();
    }
}

void SpoolSender::handle(const StateChange& event) {
    if (event.state == session::SessionState::Connected) {
        resume(event.device_id);
    }
}

void SpoolSender::resume(const std::string& device_id) {
    auto& progress = devices_[device_id];
    if (progress.waiting) {
        progress.waiting = false;
        // Whatever was out when the session failed is handed out again, oldest first.
        spool_.requeue(device_id);
    }
    pump(device_id);
}

void SpoolSender::pump(const std::string& device_id) {
    for (auto& spooled : spool_.take(device_id)) {
        auto properties = with_message_id(spooled);
        const uint64_t seq = spooled.seq;
        hub_.send_telemetry(device_id, seq, properties, std::move(spooled.message.payload),
                            [this, device_id](uint64_t handle, session::PublishStatus status) {
                                post(Result{device_id, handle, status});
                            });
    }
}

void SpoolSender::retry_waiting_devices() {
    const auto now = std::chrono::steady_clock::now();
    for (auto& [device_id, progress] : devices_) {
        if (progress.waiting && now - progress.waiting_since >= kRetryAfter) {
            resume(device_id);
        }
    }
}

}  // namespace hubgate::daemon
