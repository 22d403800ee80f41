#pragma once
// The daemon's device directory: which devices were seen with which topic captures, shared by
// the uplink path (remembers) and the downlink path (renders), and persisted in the state
// directory so that downlinks reach a device after a restart before it publishes again.

#include <atomic>
#include <filesystem>
#include <functional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "hubgate/mappings/device_directory.hpp"

namespace hubgate::core {

// A thread-safe DeviceDirectory backed by `<state dir>/devices.json` (written atomically).
class DeviceRegistry {
  public:
    explicit DeviceRegistry(std::filesystem::path state_dir);

    // Reads the file if there is one. A malformed file is moved aside (devices.json.bad) and the
    // registry starts empty: captures are learnt again from the next messages. Returns false with
    // `error` only when the state directory itself is unusable.
    bool load(std::string& error);

    // Remembers the route's device in memory; save() writes it. A method reply or twin request
    // only adds a device not known yet (their captures change with every request).
    void remember(const mappings::UplinkRoute& route);
    // Writes the file if a device was added or changed since the last save. The daemon saves with
    // every batch of local messages it commits, before their PUBACKs, so a device whose message
    // was accepted is also known after a crash, and a batch of new devices costs one write (one
    // per new device made a fresh start with N devices rewrite the file N times). False when
    // the write failed: logged, and tried again at the next save; downlinks still work until the
    // next restart. One save() at a time; remember() may run meanwhile (the daemon saves on the
    // local link's syncer thread while the link thread remembers).
    bool save();

    // Runs `fn` with the directory under a shared lock (for render_downlink).
    void read(const std::function<void(const mappings::DeviceDirectory&)>& fn) const;

    std::vector<std::string> device_ids() const;
    std::size_t size() const;
    const std::filesystem::path& file() const { return file_; }

  private:
    std::filesystem::path dir_;
    std::filesystem::path file_;
    mutable std::shared_mutex mutex_;
    mappings::DeviceDirectory directory_;
    // Changed since the last save. save() clears it before its copy, so a device remembered
    // during a save is written by that save or the next.
    std::atomic<bool> dirty_{false};
    std::string last_save_error_;  // save()'s thread only: a failing save is logged once per error
};

}  // namespace hubgate::core
