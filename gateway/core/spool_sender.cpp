#include "gateway/core/spool_sender.hpp"

#include <spdlog/spdlog.h>

#include <mutex>

#include <nlohmann/json.hpp>

#include "gateway/core/reported_merge.hpp"
#include "gateway/trace/latency_trace.hpp"

namespace hubgate::core {

namespace {

// The route the twin-answer callback renders the hub's answer with: the record's own fields.
mappings::UplinkRoute twin_get_route(spool::SpoolMessage& record) {
    mappings::UplinkRoute route;
    route.kind = mappings::UplinkKind::twin_get;
    route.device_id = record.device_id;
    route.request_id = std::move(record.request_id);
    route.reply_topic = std::move(record.reply_topic);
    return route;
}

}  // namespace

// The sender's queue of events and its link to the executor. Events wait here until a drain
// task runs on the executor's thread; at most one drain task is posted at a time, so a burst of
// events costs the executor one task.
class SpoolSender::Inbox : public std::enable_shared_from_this<Inbox> {
  public:
    Inbox(SpoolSender& owner, Executor executor) : owner_(&owner), executor_(std::move(executor)) {}

    void post(Event event) {
        std::lock_guard lock(mutex_);
        events_.push_back(std::move(event));
        schedule_locked();
    }

    void open() {
        std::lock_guard lock(mutex_);
        open_ = true;
        if (!events_.empty()) {
            schedule_locked();
        }
    }

    // Once this returns no drain is running, and none will until open().
    void close() {
        {
            std::lock_guard lock(mutex_);
            open_ = false;
        }
        std::lock_guard draining(drain_mutex_);
    }

    // The owner is going away: no drain may reach it any more.
    void detach() {
        close();
        std::lock_guard lock(mutex_);
        owner_ = nullptr;
    }

  private:
    void schedule_locked() {
        if (!open_ || drain_posted_) {
            return;
        }
        drain_posted_ = true;
        executor_([self = shared_from_this()] { self->drain(); });
    }

    void drain() {
        std::lock_guard draining(drain_mutex_);
        {
            std::lock_guard lock(mutex_);
            drain_posted_ = false;
            if (!open_ || owner_ == nullptr) {
                return;  // the events wait for the next open()
            }
            // Swapped, so both vectors keep their capacity.
            batch_.swap(events_);
        }
        owner_->handle_batch(batch_);
        batch_.clear();
    }

    std::mutex mutex_;
    SpoolSender* owner_;
    const Executor executor_;
    std::vector<Event> events_;
    bool open_ = false;
    bool drain_posted_ = false;
    // Held while a drain runs, so close() can wait for it to end.
    std::mutex drain_mutex_;
    std::vector<Event> batch_;  // under drain_mutex_
};

SpoolSender::SpoolSender(spool::Spool& spool, HubLink& hub, BridgeCounters& counters,
                         Executor executor, TwinAnswerFn twin_answer,
                         std::function<void()> space_freed)
    : spool_(spool),
      hub_(hub),
      counters_(counters),
      inbox_(std::make_shared<Inbox>(*this, std::move(executor))),
      space_freed_(std::move(space_freed)),
      twin_answer_(std::move(twin_answer)) {}

SpoolSender::~SpoolSender() {
    inbox_->detach();
}

void SpoolSender::start() {
    inbox_->open();
}

void SpoolSender::stop() {
    inbox_->close();
}

void SpoolSender::notify(std::string device_id) {
    inbox_->post(Notify{std::move(device_id)});
}

void SpoolSender::session_state(const std::string& device_id, session::SessionState state) {
    inbox_->post(StateChange{device_id, state});
}

void SpoolSender::tick() {
    inbox_->post(Tick{});
}

void SpoolSender::handle_batch(const std::vector<Event>& batch) {
    for (const Event& event : batch) {
        std::visit([this](const auto& e) { handle(e); }, event);
    }
    spool_.write_acks();  // the batch's acks in one write
    if (freed_in_batch_ && space_freed_) {
        space_freed_();
    }
    freed_in_batch_ = false;
    retry_waiting_devices();
}

void SpoolSender::handle(const Notify& event) {
    auto& progress = devices_[event.device_id];
    if (!progress.waiting) {
        pump(event.device_id);
    }
}

void SpoolSender::handle(const Result& event) {
    switch (event.delivery) {
        case Delivery::delivered:
        case Delivery::refused:
            if (spool_.ack(event.device_id, event.seq)) {
                freed_in_batch_ = true;
            }
            if (!devices_[event.device_id].waiting) {
                pump(event.device_id);
            }
            return;
        case Delivery::retry:
            break;
    }
    mark_waiting(devices_[event.device_id], event.device_id);
}

void SpoolSender::handle(const PatchResult& event) {
    auto& progress = devices_[event.device_id];
    progress.patch_in_flight = false;
    if (event.delivery == Delivery::retry) {
        mark_waiting(progress, event.device_id);
        return;
    }
    for (const auto seq : event.seqs) {
        if (spool_.ack(event.device_id, seq)) {
            freed_in_batch_ = true;
        }
    }
    if (!progress.waiting) {
        pump(event.device_id);
    }
}

void SpoolSender::mark_waiting(DeviceProgress& progress, const std::string& device_id) {
    if (!progress.waiting) {
        spdlog::debug("spool: {} waits for its session", device_id);
        progress.waiting = true;
        progress.waiting_since = std::chrono::steady_clock::now();
    }
}

void SpoolSender::handle(const StateChange& event) {
    const bool connected = event.state == session::SessionState::Connected;
    devices_[event.device_id].connected = connected;
    if (connected) {
        resume(event.device_id);
    }
}

void SpoolSender::resume(const std::string& device_id) {
    auto& progress = devices_[device_id];
    if (progress.waiting) {
        progress.waiting = false;
        // Whatever was out when the session failed is handed out again, oldest first: the held
        // patches too, and an unanswered PATCH is sent again.
        spool_.requeue(device_id);
        progress.held_patches.clear();
        progress.patch_in_flight = false;
    }
    pump(device_id);
}

void SpoolSender::pump(const std::string& device_id) {
    auto& progress = devices_[device_id];
    spool_.take(device_id, taken_);
    for (auto& spooled : taken_) {
        if (spooled.message.kind == spool::RecordKind::reported) {
            progress.held_patches.push_back(std::move(spooled));
        } else {
            send(device_id, std::move(spooled));
        }
    }
    taken_.clear();  // keeps its capacity for the next take
    send_held_patches(device_id);
}

void SpoolSender::send(const std::string& device_id, spool::SpooledMessage spooled) {
    switch (spooled.message.kind) {
        case spool::RecordKind::telemetry:
            send_telemetry(device_id, std::move(spooled));
            return;
        case spool::RecordKind::twin_get:
            send_twin_get(device_id, std::move(spooled));
            return;
        case spool::RecordKind::reported:
            break;  // pump() holds these back for send_held_patches()
    }
}

void SpoolSender::send_telemetry(const std::string& device_id, spool::SpooledMessage spooled) {
    const std::uint64_t seq = spooled.seq;
    HUBGATE_TRACE(trace::Point::sender_take, seq);
    // The spool's message id travels as $.mid (unless the mapping set one itself), so a message
    // sent again after a crash or an outage carries the id it had the first time. The session
    // writes it into the topic: no property vector holds it on the way. The callback's `device`
    // is a string of its own (a const one, captured from the reference, would move by copying
    // and keep the callback out of PublishCallback's room).
    hub_.send_telemetry(device_id, seq, std::move(spooled.message.properties), spooled.mid,
                        std::move(spooled.message.payload),
                        [inbox = inbox_, &counters = counters_, device = std::string(device_id)](
                            uint64_t handle, session::PublishStatus status) {
                            auto delivery = Delivery::retry;
                            if (status == session::PublishStatus::Acked) {
                                ++counters.telemetry_acked;
                                delivery = Delivery::delivered;
                            } else if (status == session::PublishStatus::Rejected) {
                                // The session refuses it for good (too large for the hub): sending
                                // it again would block the device's queue forever.
                                count_rejection(counters, BridgeReject::payload_too_large, device,
                                                "refused by the device session");
                                delivery = Delivery::refused;
                            }
                            inbox->post(Result{device, handle, delivery});
                        });
}

void SpoolSender::send_held_patches(const std::string& device_id) {
    auto& progress = devices_[device_id];
    auto& held = progress.held_patches;
    if (held.empty() || progress.patch_in_flight || !progress.connected) {
        return;  // they wait for the PATCH that is out, or for the session
    }
    if (held.size() < ReportedMerge::kMaxPatches) {
        // The patches queued right behind them join the same PATCH.
        for (auto& more : spool_.take_run(device_id, spool::RecordKind::reported,
                                          ReportedMerge::kMaxPatches - held.size())) {
            held.push_back(std::move(more));
        }
    }
    std::string body;
    std::vector<std::uint64_t> seqs;
    if (held.size() == 1) {
        // Nothing to merge: the patch goes up as the device wrote it, parsed only once (by the
        // mapping, which spools JSON objects only).
        body = std::move(held.front().message.payload);
        seqs.push_back(held.front().seq);
        held.clear();
    } else if (!merge_held_patches(device_id, held, body, seqs)) {
        return;
    }
    progress.patch_in_flight = true;
    hub_.patch_reported(
        device_id, std::move(body),
        [inbox = inbox_, &counters = counters_, device_id,
         seqs = std::move(seqs)](const session::TwinResult& result) {
            auto delivery = Delivery::retry;
            if (result.status >= 200 && result.status < 300) {
                counters.reported_sent += seqs.size();
                counters.reported_merged += seqs.size() - 1;
                delivery = Delivery::delivered;
            } else if (result.status >= 400 && result.status < 500 && result.status != 429) {
                counters.reported_failed += seqs.size();
                spdlog::warn("reported properties of {} refused by the hub: status {} {}",
                             device_id, result.status, result.error);
                delivery = Delivery::refused;
            } else {
                // No answer, throttled or a hub error: the patches stay spooled and are sent
                // again once the session is back.
                spdlog::info("reported properties of {} not updated yet ({}): kept in the spool",
                             device_id, result.error);
            }
            inbox->post(PatchResult{device_id, seqs, delivery});
        });
}

bool SpoolSender::merge_held_patches(const std::string& device_id,
                                     std::vector<spool::SpooledMessage>& held, std::string& body,
                                     std::vector<std::uint64_t>& seqs) {
    // Composing needs the documents: each patch is parsed a second time here (the mapping's
    // parse cannot travel through the spool), only when two or more go up together.
    ReportedMerge merge;
    std::size_t used = 0;
    for (; used < held.size(); ++used) {
        const auto& spooled = held[used];
        auto patch = nlohmann::json::parse(spooled.message.payload, nullptr, false);
        if (!patch.is_object()) {
            // The pipeline only spools JSON objects: this record was damaged.
            count_rejection(counters_,
                            {mappings::RejectReason::payload_not_json_object,
                             "spooled reported patch is not a JSON object",
                             {}},
                            device_id);
            inbox_->post(Result{device_id, spooled.seq, Delivery::refused});
            continue;
        }
        if (!merge.add(spooled.seq, patch)) {
            break;  // goes up with the next PATCH
        }
    }
    held.erase(held.begin(), held.begin() + static_cast<std::ptrdiff_t>(used));
    if (merge.empty()) {
        return false;
    }
    body = merge.patch().dump();
    seqs = merge.seqs();
    return true;
}

void SpoolSender::send_twin_get(const std::string& device_id, spool::SpooledMessage spooled) {
    hub_.get_twin(device_id,
                  [inbox = inbox_, answer = twin_answer_, device_id, seq = spooled.seq,
                   route = twin_get_route(spooled.message)](const session::TwinResult& result) {
                      if (result.status == 0) {
                          // No answer (device offline): asked again once the session is back.
                          inbox->post(Result{device_id, seq, Delivery::retry});
                          return;
                      }
                      if (answer) {
                          answer(route, result);
                      }
                      inbox->post(Result{device_id, seq, Delivery::delivered});
                  });
}

void SpoolSender::retry_waiting_devices() {
    const auto now = std::chrono::steady_clock::now();
    if (now < next_retry_check_) {
        return;
    }
    next_retry_check_ = now + kRetryCheckEvery;
    for (auto& [device_id, progress] : devices_) {
        if (progress.waiting && now - progress.waiting_since >= kRetryAfter) {
            resume(device_id);
        }
    }
}

}  // namespace hubgate::core
