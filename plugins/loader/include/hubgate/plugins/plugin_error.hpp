#pragma once
// The one exception type of the plugin loader: thrown while loading (never on the message path),
// its message says which plugin, which file and what to do about it.

#include <stdexcept>

namespace hubgate::plugins {

// A plugin could not be loaded or created: missing file, missing symbol, ABI mismatch, bad
// descriptor, or create() refused its config.
struct PluginError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

}  // namespace hubgate::plugins
