/* A test plugin whose entry point exists but returns no descriptor. */
#include <hubgate/plugin.h>

#include <stddef.h>

HUBGATE_PLUGIN_EXPORT const hubgate_plugin_descriptor* hubgate_plugin_entry(void) {
    return NULL;
}
