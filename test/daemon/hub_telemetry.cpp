#include "hub_telemetry.hpp"

namespace hubgate::test {

std::size_t ReceivedTelemetry::distinct_seqs() const {
    std::size_t total = 0;
    for (const auto& [device, seqs] : seqs_by_device) {
        total += seqs.size();
    }
    return total;
}

ReceivedTelemetry collect_telemetry(const HubsimFixture& hub, std::size_t distinct,
                                    std::chrono::milliseconds timeout) {
    ReceivedTelemetry received;
    uint64_t after = 0;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (received.distinct_seqs() < distinct && std::chrono::steady_clock::now() < deadline) {
        const auto reply = hub.telemetry(after, std::chrono::seconds(2));
        if (reply.status != 200 || !reply.body.is_object()) {
            continue;  // hubsim may be restarting
        }
        for (const auto& message : reply.body.value("messages", json::array())) {
            after = std::max(after, message.value("sequence", after));
            received.messages.push_back(message);
            const auto& system = message.value("systemProperties", json::object());
            const std::string mid = system.value("$.mid", "");
            if (!mid.empty()) {
                received.message_ids.insert(mid);
            }
            const auto payload = json::parse(message.value("payload", ""), nullptr, false);
            if (payload.is_object() && payload.contains("seq")) {
                const std::string device = message.value("deviceId", "");
                const int seq = payload["seq"].get<int>();
                received.seqs_by_device[device].insert(seq);
                received.mids_by_message[device + "#" + std::to_string(seq)].insert(mid);
            }
        }
    }
    return received;
}

std::vector<std::string> missing(const ReceivedTelemetry& received,
                                 const std::vector<std::string>& devices, int per_device) {
    std::vector<std::string> absent;
    for (const auto& device : devices) {
        const auto found = received.seqs_by_device.find(device);
        for (int seq = 1; seq <= per_device; ++seq) {
            if (found == received.seqs_by_device.end() || !found->second.contains(seq)) {
                absent.push_back(device + "#" + std::to_string(seq));
            }
        }
    }
    return absent;
}

}  // namespace hubgate::test
