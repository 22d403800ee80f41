#pragma once
// The cloud side of a chaos run, through hubsim's service API: one thread sends C2D messages
// and desired patches (alternately, to random devices), `method_callers` threads invoke a
// direct method on random devices and check that a 200 carries the device's answer. Records
// what the hub accepted and what each caller saw. Stops when told; requests that fail while
// hubsim is down are recorded as not accepted (nothing to deliver).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "hubsim_fixture/hubsim_fixture.hpp"
#include "recorder.hpp"

namespace hubgate::chaos {

struct CloudOptions {
    std::chrono::milliseconds send_interval{200};  // between two C2D / desired sends
    int method_callers = 2;
    std::chrono::milliseconds call_interval{200};  // between two calls of one caller
    int method_timeout_s = 10;
    uint64_t seed = 1;
};

class CloudDriver {
  public:
    CloudDriver(const test::HubsimFixture& hub, std::vector<std::string> devices,
                Recorder& recorder, CloudOptions options);
    ~CloudDriver();  // stop()s
    CloudDriver(const CloudDriver&) = delete;
    CloudDriver& operator=(const CloudDriver&) = delete;

    void stop();  // waits for calls in progress
    uint64_t c2d_accepted() const { return c2d_accepted_; }
    uint64_t desired_accepted() const { return desired_accepted_; }
    uint64_t calls() const { return calls_; }

  private:
    void send_loop();
    void call_loop(uint64_t seed);
    void send_c2d(const std::string& device);
    void send_desired(const std::string& device);
    void post_c2d(const std::string& device, int epoch);  // inside Recorder::send_to_hub
    void post_desired(const std::string& device, int epoch);

    const test::HubsimFixture& hub_;
    std::vector<std::string> devices_{};
    Recorder& recorder_;
    CloudOptions options_;
    std::atomic<bool> stop_{false};
    std::atomic<uint64_t> sends_{0};
    std::atomic<uint64_t> c2d_accepted_{0};
    std::atomic<uint64_t> desired_accepted_{0};
    std::atomic<uint64_t> calls_{0};
    std::vector<std::thread> threads_{};
};

}  // namespace hubgate::chaos
