#pragma once
// Rules that involve more than one key, run after every key has been read: auth mode needs its
// credentials, back-off bounds in order, proxy only over WebSocket; and the defaults that depend
// on other keys (connect port, plugin file folder). Internal to the config library.

#include <set>
#include <string>
#include <vector>

#include "gateway/config/config.hpp"

namespace hubgate::config {

// `faulty` holds the key paths already reported: rules that read them stay silent, so one fault
// gives one diagnostic.
void run_cross_checks(const Config& config, const std::set<std::string>& faulty,
                      std::vector<Diagnostic>& out);

// Fills the values whose defaults depend on other keys: connect_host from hostname and
// transport, the metrics host, plugin files relative to plugins.dir, plugin positions.
void fill_derived_values(Config& config);

}  // namespace hubgate::config
