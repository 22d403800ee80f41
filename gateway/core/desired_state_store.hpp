#pragma once
// Per device, the desired properties as IoT Hub holds them, not only the last patch: each patch
// is merged in (JSON merge patch, RFC 7386: null deletes), a patch whose $version is not newer
// is ignored, and the whole document a twin GET returns after a (re)connect replaces what was
// kept. Every change is on disk before apply() returns, so a restart can hand the last state to
// the legacy devices without waiting for the hub.
//
// Files: `<state dir>/desired/<device>.json`, one per device, each replaced atomically (write,
// fsync, rename, fsync the folder; atomic_file.hpp). The device id is percent-encoded in the
// file name, so no id can name another path (".", "..").

#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "gateway/session/session_listener.hpp"

namespace hubgate::core {

// What apply() did with an update.
enum class DesiredOutcome : std::uint8_t {
    changed,    // the device's desired document changed (and was written)
    unchanged,  // a complete document equal to the one kept: nothing to do
    stale,      // a patch whose $version is not newer than the document's: ignored
};

struct DesiredApplied {
    DesiredOutcome outcome = DesiredOutcome::unchanged;
    nlohmann::json state;   // the device's whole desired document afterwards, with its $version
    bool persisted = true;  // false: changed in memory only, the write failed (logged)
};

// Thread-safe; apply() waits for the disk when something changed.
class DesiredStateStore {
  public:
    explicit DesiredStateStore(std::filesystem::path state_dir);

    // Reads every device's document. A file that is not a JSON object is moved aside
    // (`.bad`) and logged. False with `error` only when the folder cannot be created or read.
    bool load(std::string& error);

    // Applies one update handed down by a device session (see session::DesiredUpdate).
    DesiredApplied apply(const session::DesiredUpdate& update);

    // Every device's document (for the publish after a start), by device id.
    std::vector<std::pair<std::string, nlohmann::json>> all() const;
    std::optional<nlohmann::json> state_of(std::string_view device_id) const;

    // The file of a device's document.
    std::filesystem::path file_of(std::string_view device_id) const;
    // The device id a file name stands for (nullopt: not one of ours).
    static std::optional<std::string> device_of(std::string_view file_name);

  private:
    bool persist(const std::string& device_id, const nlohmann::json& state);

    std::filesystem::path dir_;
    mutable std::mutex mutex_;
    std::map<std::string, nlohmann::json, std::less<>> states_;
    std::string last_error_;  // a failing write is logged once per distinct error
};

// The $version of a desired document or patch (0 when it has none).
std::int64_t desired_version(const nlohmann::json& document);

}  // namespace hubgate::core
