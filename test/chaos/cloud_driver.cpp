#include "cloud_driver.hpp"

namespace hubgate::chaos {

using Clock = std::chrono::steady_clock;

namespace {

constexpr int kDesiredKeys = 3;

// Sleeps `total` in short steps so that stop() is not kept waiting.
void nap(std::chrono::milliseconds total, const std::atomic<bool>& stop) {
    const auto until = Clock::now() + total;
    while (!stop && Clock::now() < until) {
        std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(
            std::chrono::milliseconds(50),
            std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now())));
    }
}

}  // namespace

CloudDriver::CloudDriver(const test::HubsimFixture& hub, std::vector<std::string> devices,
                         Recorder& recorder, CloudOptions options)
    : hub_(hub), devices_(std::move(devices)), recorder_(recorder), options_(options) {
    threads_.emplace_back([this] { send_loop(); });
    for (int i = 0; i < options_.method_callers; ++i) {
        threads_.emplace_back(
            [this, i] { call_loop(options_.seed * 1000 + static_cast<uint64_t>(i)); });
    }
}

CloudDriver::~CloudDriver() {
    stop();
}

void CloudDriver::stop() {
    stop_ = true;
    for (auto& thread : threads_) {
        if (thread.joinable()) {
            thread.join();
        }
    }
}

void CloudDriver::send_loop() {
    std::mt19937_64 draw(options_.seed);
    while (!stop_) {
        const auto& device = devices_[draw() % devices_.size()];
        if (++sends_ % 2 == 0) {
            send_c2d(device);
        } else {
            send_desired(device);
        }
        nap(options_.send_interval, stop_);
    }
}

void CloudDriver::send_c2d(const std::string& device) {
    recorder_.send_to_hub([&](int epoch) { post_c2d(device, epoch); });
}

void CloudDriver::send_desired(const std::string& device) {
    recorder_.send_to_hub([&](int epoch) { post_desired(device, epoch); });
}

void CloudDriver::post_c2d(const std::string& device, int epoch) {
    test::HubsimC2d message;
    message.payload = "c2d-" + device + "-" + std::to_string(sends_.load());
    message.message_id = message.payload;
    message.properties = {{"chaos", "1"}};
    if (hub_.send_c2d(device, message).ok()) {
        ++c2d_accepted_;
        recorder_.update([&](Ledger& ledger) {
            ledger.devices[device].c2d_sent.push_back({message.payload, epoch});
        });
    }
}

void CloudDriver::post_desired(const std::string& device, int epoch) {
    const auto dseq = static_cast<int64_t>(sends_.load());
    const test::json patch = {
        {"properties",
         {{"desired", {{"dseq", dseq}, {"d" + std::to_string(dseq % kDesiredKeys), dseq}}}}}};
    if (hub_.patch_twin(device, patch).ok()) {
        ++desired_accepted_;
        recorder_.update([&](Ledger& ledger) {
            ledger.devices[device].desired_sent.push_back({dseq, epoch});
        });
    }
}

void CloudDriver::call_loop(uint64_t seed) {
    std::mt19937_64 draw(seed);
    uint64_t call = 0;
    while (!stop_) {
        const auto& device = devices_[draw() % devices_.size()];
        const test::json payload = {{"call", std::to_string(seed) + "-" + std::to_string(++call)}};
        const auto started = Clock::now();
        const auto reply = hub_.invoke_method(device, "echo", payload, options_.method_timeout_s);
        MethodCall outcome;
        outcome.http_status = reply.status;
        outcome.elapsed_ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
        outcome.timeout_ms = options_.method_timeout_s * 1000LL;
        if (reply.status == 200 && reply.body.is_object() && reply.body.contains("status") &&
            reply.body["status"].is_number_integer()) {
            outcome.device_status = reply.body["status"].get<int>();
        }
        outcome.payload_echoed = reply.status == 200 && outcome.device_status == 200 &&
                                 reply.body.value("payload", test::json()) == payload;
        if (reply.status == 200 && !outcome.payload_echoed) {
            outcome.answer = reply.body.dump().substr(0, 160) + " for " + payload.dump();
        }
        ++calls_;
        recorder_.update(
            [&](Ledger& ledger) { ledger.devices[device].methods.push_back(outcome); });
        nap(options_.call_interval, stop_);
    }
}

}  // namespace hubgate::chaos
