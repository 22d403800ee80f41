#pragma once
// The daemon's control socket: a unix stream socket answering one request per connection on its
// own thread: "status\n" -> the JSON snapshot, one line (`hubgate status`, `hubgate devices`);
// "device ID\n" -> that device's session with its counters (`hubgate status --device ID`).

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

// Serves snapshots taken by a callback the daemon provides (called on the server's thread; it
// must be safe to call from there).
class ControlServer {
  public:
    using SnapshotFn = std::function<StatusSnapshot()>;

    explicit ControlServer(SnapshotFn snapshot);
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

    SnapshotFn snapshot_;
    std::filesystem::path path_;
    int listen_fd_ = -1;
    int wake_fd_ = -1;  // eventfd: tells the thread to stop
    bool socket_activated_ = false;
    std::thread thread_;
};

}  // namespace hubgate::control
