#pragma once
// The daemon's control socket: a unix stream socket answering one request per connection on its
// own thread: "status\n" -> the JSON snapshot, one line (`hubgate status`, `hubgate devices`);
// "device ID\n" -> that device's session with its counters (`hubgate status --device ID`);
// "provision ID\n" -> registers the device with DPS again and answers its provisioning state at
// once (`hubgate provision --device ID`, which then polls "provisioning ID\n" for the outcome:
// a registration takes seconds, and the server answers one request at a time).

#include <atomic>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <thread>

#include "gateway/control/status_snapshot.hpp"

namespace hubgate::control {

// The request `hubgate status` sends.
inline constexpr const char* kStatusRequest = "status\n";
// The request `hubgate status --device ID` sends: this prefix, the id, a line feed.
inline constexpr const char* kDeviceRequestPrefix = "device ";
// The request `hubgate provision --device ID` sends: this prefix, the id, a line feed.
inline constexpr const char* kProvisionRequestPrefix = "provision ";
// Asks for one device's provisioning state: this prefix, the id, a line feed.
inline constexpr const char* kProvisioningRequestPrefix = "provisioning ";

// The daemon's answer about one device's provisioning: its state, or why there is none.
struct ProvisioningAnswer {
    std::optional<ProvisioningStatus> device;
    std::string error;  // for people, when `device` is absent
};

// Serves snapshots taken by a callback the daemon provides (called on the server's thread; it
// must be safe to call from there).
class ControlServer {
  public:
    using SnapshotFn = std::function<StatusSnapshot()>;
    // A device's provisioning; `register_again`: registers it with DPS again first. Empty when
    // the daemon does not provision devices (the requests are answered with that error).
    using ProvisioningFn =
        std::function<ProvisioningAnswer(const std::string& device_id, bool register_again)>;

    explicit ControlServer(SnapshotFn snapshot, ProvisioningFn provisioning = {});
    ~ControlServer();  // stops
    ControlServer(const ControlServer&) = delete;
    ControlServer& operator=(const ControlServer&) = delete;

    // Listens on `path` and starts serving. Uses the socket systemd passed (hubgate.socket, socket
    // activation) when one is bound to `path`; otherwise creates the socket with mode 0660,
    // replacing a stale socket file a crashed daemon left, but never a live socket or another
    // kind of file. Returns why it could not, or nullopt when it serves.
    std::optional<std::string> start(const std::filesystem::path& path);
    // Stops serving and removes the socket file it created (not one systemd owns).
    void stop();

    bool socket_activated() const { return socket_activated_; }

  private:
    void serve();
    void answer(int connection);
    // The JSON line answering a provisioning request about `device_id`.
    std::string provisioning_answer(const std::string& device_id, bool register_again);

    SnapshotFn snapshot_;
    ProvisioningFn provisioning_;
    std::filesystem::path path_;
    int listen_fd_ = -1;
    int wake_fd_ = -1;  // eventfd: tells the thread to stop
    bool socket_activated_ = false;
    std::thread thread_;
};

}  // namespace hubgate::control
