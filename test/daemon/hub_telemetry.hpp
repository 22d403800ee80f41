#pragma once
// Reading what hubsim received, in the shapes the end-to-end tests count.

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "hubsim_fixture/hubsim_fixture.hpp"

namespace hubgate::test {

// Telemetry the hub recorded, indexed for counting.
struct ReceivedTelemetry {
    std::vector<json> messages;
    std::set<std::string> message_ids;                    // distinct $.mid
    std::map<std::string, std::set<int>> seqs_by_device;  // the payloads' "seq" per device
    // "device#seq" -> every $.mid it arrived with (more than one: a duplicate with a new id).
    std::map<std::string, std::set<std::string>> mids_by_message;
    std::size_t distinct_seqs() const;
};

// Polls hubsim until `distinct` different (device, seq) pairs arrived or `timeout` passed.
ReceivedTelemetry collect_telemetry(const HubsimFixture& hub, std::size_t distinct,
                                    std::chrono::milliseconds timeout);

// The (device, seq) pairs of `expected_per_device` messages per device that never arrived.
std::vector<std::string> missing(const ReceivedTelemetry& received,
                                 const std::vector<std::string>& devices, int per_device);

}  // namespace hubgate::test
