#pragma once
// Reading the settings and hooks a plugin declares in its descriptor (plugin ABI 1.1).

#include <hubgate/plugin.h>

#include "hubgate/plugins/plugin_library.hpp"

namespace hubgate::plugins {

// Copies the descriptor's declared settings and hooks into `info` (left nullopt when the plugin
// declares none). Throws PluginError, without the file name, when a declaration is malformed:
// an empty or repeated name, an unknown type, choices or fields where the type has none, a
// required setting with a default, an inconsistent struct_size, or an absurd count.
void read_declarations(const hubgate_plugin_descriptor& descriptor, PluginInfo& info);

}  // namespace hubgate::plugins
