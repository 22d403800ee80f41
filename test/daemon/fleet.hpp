#pragma once
// A fleet of legacy devices plant1-s0 .. plant1-s{N-1} under the test mapping (device ids
// "plant1-s{i}"), publishing telemetry numbered by a payload "seq", for the tests that count
// what arrives. Header-only: it reports publish failures with doctest's REQUIRE.

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "legacy_client.hpp"

namespace hubgate::test {

inline std::vector<std::string> device_ids(int count) {
    std::vector<std::string> ids;
    for (int i = 0; i < count; ++i) {
        ids.push_back("plant1-s" + std::to_string(i));
    }
    return ids;
}

// Publishes seq `first`..`last` for every device, interleaved across devices.
inline void publish_range(LegacyClient& client, int devices, int first, int last) {
    for (int seq = first; seq <= last; ++seq) {
        for (int d = 0; d < devices; ++d) {
            REQUIRE(client.publish("t/plant1/s" + std::to_string(d) + "/telemetry",
                                   R"({"seq":)" + std::to_string(seq) + "}"));
        }
    }
}

// "plant1-s3#17 (12 in all)", or "none": for the message of a failed check.
inline std::string first_missing(const std::vector<std::string>& absent) {
    return absent.empty() ? std::string("none")
                          : absent.front() + " (" + std::to_string(absent.size()) + " in all)";
}

}  // namespace hubgate::test
