#include "hub_reader.hpp"

namespace hubgate::chaos {

using namespace std::chrono_literals;

HubReader::HubReader(const test::HubsimFixture& hub, Recorder& recorder)
    : hub_(hub), recorder_(recorder) {
    thread_ = std::thread([this] { run(); });
}

HubReader::~HubReader() {
    stop_ = true;
    thread_.join();
}

void HubReader::run() {
    while (!stop_) {
        if (poll_once(1s) < 0) {
            std::this_thread::sleep_for(200ms);  // hubsim is down or restarting
        }
    }
}

int HubReader::poll_once(std::chrono::seconds wait) {
    std::lock_guard lock(poll_mutex_);
    const auto reply = hub_.telemetry(after_, wait);
    if (reply.status != 200 || !reply.body.is_object()) {
        return -1;
    }
    std::vector<HubTelemetry> batch;
    for (const auto& message : reply.body.value("messages", test::json::array())) {
        after_ = std::max(after_, message.value("sequence", after_));
        const auto payload = test::json::parse(message.value("payload", ""), nullptr, false);
        if (!payload.is_object() || !payload.contains("seq")) {
            continue;
        }
        batch.push_back(
            {message.value("deviceId", ""), payload["seq"].get<int64_t>(),
             message.value("systemProperties", test::json::object()).value("$.mid", "")});
    }
    received_ += batch.size();
    recorder_.update([&](Ledger& ledger) {
        ledger.hub_telemetry.insert(ledger.hub_telemetry.end(), batch.begin(), batch.end());
    });
    return static_cast<int>(batch.size());
}

bool HubReader::drain() {
    int quiet = 0;
    for (int attempt = 0; attempt < 100 && quiet < 2; ++attempt) {
        const int got = poll_once(0s);
        if (got < 0) {
            return false;
        }
        quiet = got == 0 ? quiet + 1 : 0;
        if (got == 0) {
            std::this_thread::sleep_for(300ms);
        }
    }
    return true;
}

void HubReader::restarted() {
    std::lock_guard lock(poll_mutex_);
    after_ = 0;
}

}  // namespace hubgate::chaos
