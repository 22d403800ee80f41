/* A test plugin that misbehaves on marker payloads, for the daemon's fault isolation tests
 * (test/daemon/plugin_fault_integration_test.cpp). Its transform_uplink and transform_downlink
 * hooks:
 *   - a payload containing "crash-me" kills the process with SIGSEGV (as a plugin bug would),
 *     after turning core dumps off so the test leaves no core file behind;
 *   - a payload containing "hang-me" never returns (as a plugin stuck on a lock would);
 *   - anything else passes unchanged. */
#define _POSIX_C_SOURCE 200809L

#include <hubgate/plugin.h>

#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static int contains(hubgate_str payload, const char* marker) {
    size_t size = strlen(marker);
    size_t i;
    for (i = 0; i + size <= payload.size; ++i) {
        if (memcmp(payload.data + i, marker, size) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Crashes or hangs as the payload asks. */
static void misbehave(hubgate_str payload) {
    if (contains(payload, "crash-me")) {
        struct rlimit no_core = {0, 0};
        setrlimit(RLIMIT_CORE, &no_core);
        raise(SIGSEGV);
    }
    if (contains(payload, "hang-me")) {
        for (;;) {
            pause();
        }
    }
}

static int transform_uplink(void* instance, void* event_data, char* error, size_t error_size) {
    (void)instance, (void)error, (void)error_size;
    misbehave(((hubgate_uplink_event*)event_data)->payload);
    return HUBGATE_PLUGIN_OK;
}

static int transform_downlink(void* instance, void* event_data, char* error, size_t error_size) {
    (void)instance, (void)error, (void)error_size;
    misbehave(((hubgate_downlink_event*)event_data)->payload);
    return HUBGATE_PLUGIN_OK;
}

static int create(const hubgate_plugin_host* host, const char* config_json, size_t config_size,
                  void** instance, char* error, size_t error_size) {
    (void)config_json, (void)config_size, (void)error, (void)error_size;
    int rc;
    *instance = NULL;
    rc = host->register_hook(host, HUBGATE_HOOK_TRANSFORM_UPLINK, transform_uplink);
    if (rc != HUBGATE_PLUGIN_OK) {
        return rc;
    }
    return host->register_hook(host, HUBGATE_HOOK_TRANSFORM_DOWNLINK, transform_downlink);
}

static void destroy(void* instance) {
    (void)instance;
}

static const hubgate_plugin_descriptor descriptor = {sizeof(hubgate_plugin_descriptor),
                                                     HUBGATE_PLUGIN_ABI_MAJOR,
                                                     HUBGATE_PLUGIN_ABI_MINOR,
                                                     "poison",
                                                     "0.0.1",
                                                     "crashes or hangs on marker payloads",
                                                     "trusted-input-only: tests only",
                                                     create,
                                                     destroy,
                                                     NULL,
                                                     0,
                                                     NULL,
                                                     0};

HUBGATE_PLUGIN_EXPORT const hubgate_plugin_descriptor* hubgate_plugin_entry(void) {
    return &descriptor;
}
