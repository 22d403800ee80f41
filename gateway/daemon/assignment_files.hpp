#pragma once
// The DPS assignments of the devices (provisioning/assignment.hpp) in the state directory:
// `<state dir>/provisioning/<registration id>.json`, one per device, each replaced atomically
// (write, fsync, rename, fsync the folder; atomic_file.hpp), so a crash leaves the old or the new
// assignment and a device is never registered twice for a lost write. Registration ids are
// letters, digits and - . _ : ending in a letter, digit or '-', so no id names another path.

#include <filesystem>
#include <map>
#include <mutex>
#include <string>

#include "gateway/provisioning/assignment.hpp"

namespace hubgate::daemon {

class AssignmentFiles final : public provisioning::AssignmentStore {
  public:
    explicit AssignmentFiles(std::filesystem::path state_dir);

    // Reads every assignment. A file that is not a complete assignment is moved aside (`.bad`)
    // and logged: its device registers again. False with `error` when the folder cannot be
    // created or read.
    bool load(std::string& error);

    std::optional<provisioning::Assignment> find(const std::string& registration_id) override;
    bool save(const provisioning::Assignment& assignment, std::string& error) override;

  private:
    const std::filesystem::path dir_;
    std::mutex mutex_;
    std::map<std::string, provisioning::Assignment> kept_;
};

}  // namespace hubgate::daemon
