#pragma once
// Hot reload (SIGHUP, `systemctl reload`): reads the config file again and applies what can
// change while the daemon runs: the mapping files, the plugins and the log level. Everything else
// (the hub, authentication, the local broker, the spool, ...) belongs to connections and files
// already open: a change there is reported as waiting for a restart, never half-applied.
// An invalid file, or a mapping or plugin that does not load, changes nothing: every problem is
// logged with its file:line and the configuration in force stays.

#include <filesystem>
#include <string>
#include <vector>

#include <toml++/toml.h>

#include "gateway/config/config.hpp"

namespace hubgate::daemon {

class Bridge;

// Reloads one daemon's configuration file; main thread only.
class ConfigReloader {
  public:
    // `running`: the configuration the daemon started with.
    explicit ConfigReloader(const config::Config& running);

    // True when the file was valid and its mappings, plugins and log level are now in force.
    bool reload(Bridge& bridge);

    // The top-level settings (tables or keys) that differ between two parsed config files, other
    // than those a reload applies; e.g. {"hub", "spool"}.
    static std::vector<std::string> restart_only_changes(const toml::table& in_force,
                                                         const toml::table& next);

  private:
    std::filesystem::path file_;
    toml::table in_force_;  // the file's settings as they apply now
    std::string log_level_;
};

}  // namespace hubgate::daemon
