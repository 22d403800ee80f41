#pragma once
// The client side of the control socket: one request, one JSON answer.

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

namespace hubgate::control {

// The answer to a status request, or why there is none.
struct StatusReply {
    enum class Outcome {
        Ok,          // `json` holds the snapshot
        NotRunning,  // nothing listens on the socket (no file, or refused): daemon not running
        Denied,      // the socket exists but this user may not connect
        Failed,      // connected, but no valid answer (timeout, bad JSON, an error answer)
    };
    Outcome outcome = Outcome::Failed;
    nlohmann::ordered_json json;
    std::string error;  // for people, when not Ok
};

// Connects to `path`, asks for the status and reads the answer, giving up after `timeout`.
StatusReply request_status(const std::filesystem::path& path,
                           std::chrono::milliseconds timeout = std::chrono::seconds(10));

// The same for one device: `json` holds {"version":1,"device":{...}}. A device the daemon does
// not know is Failed, with the daemon's words in `error`.
StatusReply request_device(const std::filesystem::path& path, const std::string& device_id,
                           std::chrono::milliseconds timeout = std::chrono::seconds(10));

// Asks the daemon to register the device with DPS again (`register_again`), or only for its
// provisioning state: `json` holds {"version":1,"provisioning":{...}}. A daemon that does not
// provision devices, or does not know the device, is Failed with the daemon's words in `error`.
StatusReply request_provisioning(const std::filesystem::path& path, const std::string& device_id,
                                 bool register_again,
                                 std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace hubgate::control
