#include "gateway/transport/event_batch.hpp"

#include <algorithm>

namespace hubgate::transport {

namespace {

thread_local EventBatch* open_batch = nullptr;

}  // namespace

EventBatch::EventBatch() : outermost_(open_batch == nullptr) {
    if (outermost_) {
        open_batch = this;
    }
}

EventBatch::~EventBatch() {
    if (outermost_) {
        hand_over();
        open_batch = nullptr;
    }
}

bool EventBatch::defer(EventBatchSink& sink, std::function<void()>& task) {
    if (open_batch == nullptr) {
        return false;
    }
    auto& pending = open_batch->pending_;
    auto it = std::find_if(pending.begin(), pending.end(),
                           [&](const auto& entry) { return entry.first == &sink; });
    if (it == pending.end()) {
        pending.emplace_back(&sink, std::vector<std::function<void()>>{});
        it = std::prev(pending.end());
    }
    it->second.push_back(std::move(task));
    return true;
}

void EventBatch::flush() {
    if (open_batch != nullptr) {
        open_batch->hand_over();
    }
}

void EventBatch::hand_over() {
    // Taken out first: a sink may raise events of its own while it takes these.
    auto pending = std::exchange(pending_, {});
    for (auto& [sink, tasks] : pending) {
        sink->post_batch(std::move(tasks));
    }
}

}  // namespace hubgate::transport
