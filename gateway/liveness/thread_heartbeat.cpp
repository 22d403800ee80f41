#include "gateway/liveness/thread_heartbeat.hpp"

#include <algorithm>

namespace hubgate::liveness {

void ThreadRegistry::enlist(Slot& slot) {
    std::lock_guard lock(mutex_);
    slots_.push_back(&slot);
}

void ThreadRegistry::retire(Slot& slot) {
    std::lock_guard lock(mutex_);
    std::erase(slots_, &slot);
}

std::vector<ThreadBeat> ThreadRegistry::beats() const {
    std::lock_guard lock(mutex_);
    std::vector<ThreadBeat> beats;
    beats.reserve(slots_.size());
    const auto now = Clock::now();
    for (const Slot* slot : slots_) {
        if (slot->calls_in.load(std::memory_order_acquire) == 0) {
            beats.push_back({slot->name, now});  // a CallWatch with no call in progress
            continue;
        }
        beats.push_back({slot->name, Clock::time_point(Clock::duration(
                                         slot->last_beat.load(std::memory_order_relaxed)))});
    }
    return beats;
}

ThreadRegistry& process_threads() {
    static ThreadRegistry registry;
    return registry;
}

Heartbeat::Heartbeat(std::string name, ThreadRegistry& registry) : registry_(registry) {
    slot_.name = std::move(name);
    beat();
    registry_.enlist(slot_);
}

Heartbeat::~Heartbeat() {
    registry_.retire(slot_);
}

CallWatch::CallWatch(std::string name, ThreadRegistry& registry) : registry_(registry) {
    slot_.name = std::move(name);
    slot_.calls_in = 0;
    registry_.enlist(slot_);
}

CallWatch::~CallWatch() {
    registry_.retire(slot_);
}

}  // namespace hubgate::liveness
