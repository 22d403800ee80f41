#pragma once
// Reads what hubsim recorded (GET /hubsim/telemetry, long-polled) into the Recorder as the run
// goes: hubsim forgets everything when it stops, so drain() reads to the end first (with the
// uplink held, nothing new arrives meanwhile) and restarted() starts over at the new hub's
// first message.

#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>

#include "hubsim_fixture/hubsim_fixture.hpp"
#include "recorder.hpp"

namespace hubgate::chaos {

class HubReader {
  public:
    HubReader(const test::HubsimFixture& hub, Recorder& recorder);
    ~HubReader();
    HubReader(const HubReader&) = delete;
    HubReader& operator=(const HubReader&) = delete;

    // Reads until two polls in a row bring nothing new; true if the hub answered.
    bool drain();
    void restarted();  // the next hub numbers its messages from 1 again
    uint64_t received() const { return received_; }

  private:
    void run();
    // One poll; the number of messages it brought, -1 when the hub did not answer.
    int poll_once(std::chrono::seconds wait);

    const test::HubsimFixture& hub_;
    Recorder& recorder_;
    std::mutex poll_mutex_;  // one poll at a time: `after_` moves with each
    uint64_t after_ = 0;
    std::atomic<uint64_t> received_{0};
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

}  // namespace hubgate::chaos
