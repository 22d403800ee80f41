#pragma once
// One chaos run: starts the processes (ChaosEnv), the devices (DeviceFleet), the cloud
// (CloudDriver) and the hub reader, plays the seeded FaultSchedule on its two lanes, lets
// everything settle with the faults cleared, reads the final twins and retained desired
// messages, and judges the Ledger. Prints as it goes; returns the invariant rows.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "invariant_checker.hpp"

namespace hubgate::chaos {

struct RunOptions {
    uint64_t seed = 1;
    std::chrono::seconds length{60};  // the faults' window; settling comes on top
    int devices = 1000;
    int messages_per_second = 200;     // telemetry steps of the whole fleet
    std::chrono::seconds settle{120};  // at most, for what is owed to arrive after the faults
    std::filesystem::path results{};   // the table and the run's facts are written here
    // Disk-full windows need the spool on a tmpfs of its own, mounted in a private mount
    // namespace (enter_private_mount_namespace()); without one they are skipped, and said so.
    bool private_mounts = false;
    std::string private_mounts_refused{};  // why there is no private mount namespace
    std::uint64_t spool_disk_bytes = std::uint64_t{64} << 20;
};

struct RunOutcome {
    std::vector<InvariantRow> rows{};
    std::string report{};  // what was written to the results file
};

RunOutcome run_chaos(const RunOptions& options);

}  // namespace hubgate::chaos
