#include "device_fleet.hpp"

#include "device_group.hpp"

namespace hubgate::chaos {

namespace {

constexpr int kGroupSize = 50;
constexpr int kReportedKeys = 4;

std::string sensor_of(const std::string& id) {
    return id.substr(id.find('-') + 1);
}

// {"rseq":n,"k{n%4}":n}; every 7th patch also deletes the next key (a null), so the merge the
// checker expects includes deletions.
nlohmann::json reported_patch(int64_t n) {
    nlohmann::json patch = {{"rseq", n}, {"k" + std::to_string(n % kReportedKeys), n}};
    if (n % 7 == 0) {
        patch["k" + std::to_string((n + 1) % kReportedKeys)] = nullptr;
    }
    return patch;
}

}  // namespace

DeviceFleet::DeviceFleet(int local_port, int devices, Recorder& recorder) {
    const int groups = (devices + kGroupSize - 1) / kGroupSize;
    for (int g = 0; g < groups; ++g) {
        groups_.push_back(
            std::make_unique<DeviceGroup>(local_port, "g" + std::to_string(g), recorder));
    }
    for (int i = 0; i < devices; ++i) {
        ids_.push_back("g" + std::to_string(i / kGroupSize) + "-s" +
                       std::to_string(i % kGroupSize));
    }
    next_seq_.assign(ids_.size(), 1);
}

DeviceFleet::~DeviceFleet() = default;

void DeviceFleet::step() {
    const std::size_t index = turn_;
    turn_ = (turn_ + 1) % ids_.size();
    ++steps_;
    auto& group = *groups_[index / kGroupSize];
    const auto sensor = sensor_of(ids_[index]);
    const int64_t seq = next_seq_[index]++;
    group.publish_telemetry(sensor, seq);
    ++published_;
    if (seq % 10 == 0) {
        group.publish_reported(sensor, reported_patch(seq / 10));
        ++published_;
    }
    if (seq % 20 == 5) {
        group.request_twin(sensor, "r" + std::to_string(seq));
        ++published_;
    }
}

std::string DeviceFleet::publish_poison(const std::string& device, int64_t seq,
                                        const std::string& payload) {
    for (std::size_t i = 0; i < ids_.size(); ++i) {
        if (ids_[i] == device) {
            return groups_[i / kGroupSize]->publish_poison(sensor_of(device), seq, payload);
        }
    }
    return {};
}

std::size_t DeviceFleet::unacknowledged() const {
    std::size_t total = 0;
    for (const auto& group : groups_) {
        total += group->unacknowledged();
    }
    return total;
}

std::string DeviceFleet::unacknowledged_by_group() const {
    std::string text;
    for (std::size_t g = 0; g < groups_.size(); ++g) {
        if (const auto count = groups_[g]->unacknowledged(); count > 0) {
            text += (text.empty() ? "g" : "; g") + std::to_string(g) + ": " +
                    std::to_string(count) + " (" + groups_[g]->link_state() + ")";
        }
    }
    return text.empty() ? "none" : text;
}

uint64_t DeviceFleet::twin_responses() const {
    uint64_t total = 0;
    for (const auto& group : groups_) {
        total += group->twin_responses();
    }
    return total;
}

}  // namespace hubgate::chaos
