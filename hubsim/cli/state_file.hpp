#pragma once
// <state_dir>/ports.json: where a running `hubsim run` listens, for the CLI wrappers and tools.

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace hubsim::cli {

struct RunningHub {
    int mqtts_port = 0;
    int wss_port = 0;
    int https_port = 0;
    std::filesystem::path ca_file;
    std::string hostname;
    long pid = 0;
    int dps_port = 0;       // the DPS MQTT listener (0 in files written before it existed)
    int x509_port = 0;      // the client-certificate hub listener (0: likewise)
    int dps_x509_port = 0;  // the client-certificate DPS listener (0: likewise)
    // [[hubs]]: each extra hub's host name and MQTT TLS port ("hubs" in ports.json, only when
    // there are any).
    std::vector<std::pair<std::string, int>> extra_hubs = {};
};

std::filesystem::path state_file_path(const std::filesystem::path& state_dir);
// Written atomically (temporary file, then rename). Throws std::runtime_error on failure.
void write_state_file(const std::filesystem::path& state_dir, const RunningHub& hub);
// nullopt when absent or unreadable.
std::optional<RunningHub> read_state_file(const std::filesystem::path& state_dir);

}  // namespace hubsim::cli
