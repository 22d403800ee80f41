#pragma once
// Hands the upstream events of one loop turn to the session manager together.
//
// The upstream loop raises many events per turn (a PUBACK for every session with traffic).
// Posted one by one, each can wake the manager's thread again, which went back to sleep after the
// previous one. While an EventBatch is open on a thread, the session manager's relays defer that
// thread's events here, and they are handed over when the batch closes (or is flushed): one lock
// and at most one wake-up per turn.

#include <utility>
#include <vector>

#include "gateway/transport/inline_function.hpp"

namespace hubgate::transport {

// One deferred event. A relay's event (a session's device id and serial, and what happened: a
// publish result, a C2D message's topic and payload) fits inside, so raising one allocates
// nothing.
using EventTask = InlineFunction<void(), 128>;

// Where deferred events go: the session manager.
class EventBatchSink {
  public:
    // Takes every task out of `tasks` (moved); the emptied vector goes back to the batch, which
    // reuses its capacity for a later turn instead of allocating one per turn.
    virtual void post_batch(std::vector<EventTask>& tasks) = 0;

  protected:
    ~EventBatchSink() = default;
};

// Opens a batch on the current thread for its lifetime (a nested one joins the open batch).
class EventBatch {
  public:
    EventBatch();
    ~EventBatch();
    EventBatch(const EventBatch&) = delete;
    EventBatch& operator=(const EventBatch&) = delete;

    // Queues `task` for `sink` if a batch is open on this thread and returns true; otherwise
    // returns false and leaves `task` alone.
    static bool defer(EventBatchSink& sink, EventTask& task);
    // Hands over what the open batch holds now. Call it before a connection is destroyed, so that
    // every event it raised has reached its sink once the destruction is done.
    static void flush();

  private:
    void hand_over();

    bool outermost_;
    std::vector<std::pair<EventBatchSink*, std::vector<EventTask>>> pending_;
};

}  // namespace hubgate::transport
