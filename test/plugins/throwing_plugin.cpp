// A test plugin in C++ that breaks the rule "no exception crosses the ABI": every hook throws,
// and create() throws when its config contains "throw_in_create". The loader must contain it.
#include <hubgate/plugin.h>

#include <cstring>
#include <stdexcept>

namespace {

int throwing_hook(void*, void*, char*, size_t) {
    throw std::runtime_error("boom");
}

int create(const hubgate_plugin_host* host, const char* config_json, size_t, void** instance, char*,
           size_t) {
    if (std::strstr(config_json, "throw_in_create") != nullptr) {
        throw std::runtime_error("boom in create");
    }
    host->register_hook(host, HUBGATE_HOOK_DERIVE_DEVICE_ID, &throwing_hook);
    host->register_hook(host, HUBGATE_HOOK_TRANSFORM_UPLINK, &throwing_hook);
    host->register_hook(host, HUBGATE_HOOK_TRANSFORM_DOWNLINK, &throwing_hook);
    *instance = nullptr;
    return HUBGATE_PLUGIN_OK;
}

void destroy(void*) {}

const hubgate_plugin_descriptor kDescriptor = {
    sizeof(hubgate_plugin_descriptor),
    HUBGATE_PLUGIN_ABI_MAJOR,
    HUBGATE_PLUGIN_ABI_MINOR,
    "thrower",
    "0.0.1",
    "test plugin whose hooks throw",
    "trusted-input-only: tests only",
    &create,
    &destroy,
    nullptr,  // settings and hooks not declared
    0,
    nullptr,
    0,
};

}  // namespace

extern "C" HUBGATE_PLUGIN_EXPORT const hubgate_plugin_descriptor* hubgate_plugin_entry(void) {
    return &kDescriptor;
}
