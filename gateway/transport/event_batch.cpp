#include "gateway/transport/event_batch.hpp"

#include <algorithm>

namespace hubgate::transport {

namespace {

thread_local EventBatch* open_batch = nullptr;
// Task vectors that sinks have emptied, kept for the next turns on this thread: a turn's events
// then cost no allocation (a fresh vector per turn grew through several).
thread_local std::vector<std::vector<EventTask>> spare_task_vectors;
constexpr std::size_t kMaxSpareTaskVectors = 8;

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

bool EventBatch::defer(EventBatchSink& sink, EventTask& task) {
    if (open_batch == nullptr) {
        return false;
    }
    auto& pending = open_batch->pending_;
    auto it = std::find_if(pending.begin(), pending.end(),
                           [&](const auto& entry) { return entry.first == &sink; });
    if (it == pending.end()) {
        std::vector<EventTask> tasks;
        if (!spare_task_vectors.empty()) {
            tasks = std::move(spare_task_vectors.back());
            spare_task_vectors.pop_back();
        }
        pending.emplace_back(&sink, std::move(tasks));
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
        sink->post_batch(tasks);
        tasks.clear();
        if (spare_task_vectors.size() < kMaxSpareTaskVectors) {
            spare_task_vectors.push_back(std::move(tasks));
        }
    }
}

}  // namespace hubgate::transport
