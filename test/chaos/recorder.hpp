#pragma once
// The Ledger of a running chaos test, shared by the threads that fill it (device clients,
// cloud callers, the telemetry reader, the fault runner): one mutex, short critical sections.

#include <atomic>
#include <functional>
#include <mutex>
#include <shared_mutex>

#include "ledger.hpp"

namespace hubgate::chaos {

class Recorder {
  public:
    // Runs `change` on the ledger under the lock.
    void update(const std::function<void(Ledger&)>& change) {
        std::lock_guard lock(mutex_);
        change(ledger_);
    }
    Ledger snapshot() const {
        std::lock_guard lock(mutex_);
        Ledger copy = ledger_;
        copy.final_epoch = epoch_;
        return copy;
    }

    // The hub epoch: raised when a hubsim outage begins (see ledger.hpp).
    int epoch() const { return epoch_; }

    // A cloud-side send (C2D, desired patch) runs `send(epoch)` unless a hub outage is under
    // way; an outage begins only between sends, so each accepted send is in the epoch of the
    // hub that accepted it.
    bool send_to_hub(const std::function<void(int epoch)>& send) {
        std::shared_lock lock(gate_);
        if (hub_down_) {
            return false;
        }
        send(epoch_);
        return true;
    }
    void begin_hub_outage() {
        std::unique_lock lock(gate_);
        hub_down_ = true;
        ++epoch_;
    }
    void end_hub_outage() {
        std::unique_lock lock(gate_);
        hub_down_ = false;
    }

  private:
    std::shared_mutex gate_;
    bool hub_down_ = false;
    mutable std::mutex mutex_;
    Ledger ledger_;
    std::atomic<int> epoch_{0};
};

}  // namespace hubgate::chaos
