/* A test plugin in plain C99 whose behaviour is chosen by the payload, so the loader tests can
 * drive every path of the ABI. Compiled several times: PROBE_* definitions break its descriptor
 * on purpose (see CMakeLists.txt).
 *
 * create(): config containing "fail_create" refuses; "no_hooks" registers nothing.
 * derive_device_id: "id=X" sets X; "fail" rejects; "fail-silent" rejects without a message;
 *   "huge" and "null" make the setter fail and then ignore that (the host must still reject);
 *   "register-late" calls register_hook after create() and sets the id "late-<its code>".
 * transform_uplink: "fail" rejects; "keep" changes nothing; otherwise payload becomes
 *   "<payload>|<device id>", property probe=seen is set and property drop-me removed.
 * transform_downlink: "fail" rejects; otherwise payload becomes "<kind>:<payload>".
 * PROBE_DECLARED declares settings (ABI 1.1) and only two of its three hooks, PROBE_BAD_SETTING
 * a setting of an unknown type; PROBE_ABI_1_0 is compiled against the pinned 1.0 header
 * (test/plugins/abi-1.0), the descriptor layout of plugins built before settings existed. */
#include <hubgate/plugin.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Kept only to show that register_hook refuses calls after create(); real plugins keep state in
 * their instance. */
static const hubgate_plugin_host* saved_host = NULL;

static int payload_is(hubgate_str payload, const char* text) {
    return payload.size == strlen(text) && memcmp(payload.data, text, payload.size) == 0;
}

static int derive_device_id(void* instance, void* event_data, char* error, size_t error_size) {
    hubgate_device_id_event* event = (hubgate_device_id_event*)event_data;
    (void)instance;
    if (payload_is(event->payload, "fail")) {
        snprintf(error, error_size, "probe rejects 'fail'");
        return HUBGATE_PLUGIN_ERROR;
    }
    if (payload_is(event->payload, "fail-silent")) {
        return HUBGATE_PLUGIN_ERROR;
    }
    if (payload_is(event->payload, "huge")) {
        (void)event->set_device_id(event, event->payload.data, SIZE_MAX);
        return HUBGATE_PLUGIN_OK;
    }
    if (payload_is(event->payload, "null")) {
        (void)event->set_device_id(event, NULL, 3);
        return HUBGATE_PLUGIN_OK;
    }
    if (payload_is(event->payload, "register-late")) {
        char id[32];
        int written = snprintf(
            id, sizeof id, "late-%d",
            saved_host->register_hook(saved_host, HUBGATE_HOOK_DERIVE_DEVICE_ID, derive_device_id));
        return event->set_device_id(event, id, (size_t)written);
    }
    if (event->payload.size > 3 && memcmp(event->payload.data, "id=", 3) == 0) {
        return event->set_device_id(event, event->payload.data + 3, event->payload.size - 3);
    }
    return HUBGATE_PLUGIN_OK;
}

static int transform_uplink(void* instance, void* event_data, char* error, size_t error_size) {
    hubgate_uplink_event* event = (hubgate_uplink_event*)event_data;
    char* out;
    size_t size;
    int code;
    (void)instance;
    if (payload_is(event->payload, "fail")) {
        snprintf(error, error_size, "probe rejects 'fail'");
        return HUBGATE_PLUGIN_ERROR;
    }
    if (payload_is(event->payload, "keep")) {
        return HUBGATE_PLUGIN_OK;
    }
    size = event->payload.size + 1 + event->device_id.size;
    out = (char*)malloc(size);
    if (out == NULL) {
        snprintf(error, error_size, "out of memory");
        return HUBGATE_PLUGIN_ERROR;
    }
    memcpy(out, event->payload.data, event->payload.size);
    out[event->payload.size] = '|';
    memcpy(out + event->payload.size + 1, event->device_id.data, event->device_id.size);
    code = event->set_payload(event, out, size);
    free(out); /* the host copied it */
    if (code == HUBGATE_PLUGIN_OK) {
        code = event->set_property(event, "probe", 5, "seen", 4);
    }
    if (code == HUBGATE_PLUGIN_OK) {
        code = event->remove_property(event, "drop-me", 7);
    }
    return code;
}

static int transform_downlink(void* instance, void* event_data, char* error, size_t error_size) {
    hubgate_downlink_event* event = (hubgate_downlink_event*)event_data;
    char out[256];
    int written;
    (void)instance;
    if (payload_is(event->payload, "fail")) {
        snprintf(error, error_size, "probe rejects 'fail'");
        return HUBGATE_PLUGIN_ERROR;
    }
    written = snprintf(out, sizeof out, "%.*s:%.*s", (int)event->kind.size, event->kind.data,
                       (int)event->payload.size, event->payload.data);
    return event->set_payload(event, out, (size_t)written < sizeof out ? (size_t)written : 0);
}

static int create(const hubgate_plugin_host* host, const char* config_json, size_t config_size,
                  void** instance, char* error, size_t error_size) {
    (void)config_size;
    if (strstr(config_json, "fail_create") != NULL) {
        snprintf(error, error_size, "create refused: fail_create is set");
        return HUBGATE_PLUGIN_ERROR;
    }
    /* A hook id from the future must be refused, so a newer plugin can tell an older host. */
    if (host->register_hook(host, 999, derive_device_id) != HUBGATE_PLUGIN_UNKNOWN_HOOK) {
        snprintf(error, error_size, "host accepted unknown hook 999");
        return HUBGATE_PLUGIN_ERROR;
    }
    if (strstr(config_json, "no_hooks") == NULL) {
        host->register_hook(host, HUBGATE_HOOK_DERIVE_DEVICE_ID, derive_device_id);
        host->register_hook(host, HUBGATE_HOOK_TRANSFORM_UPLINK, transform_uplink);
        host->register_hook(host, HUBGATE_HOOK_TRANSFORM_DOWNLINK, transform_downlink);
    }
    host->log(host, HUBGATE_LOG_DEBUG, "probe created");
    saved_host = host;
    *instance = NULL;
    return HUBGATE_PLUGIN_OK;
}

static void destroy(void* instance) {
    (void)instance;
}

#if defined(PROBE_DECLARED) || defined(PROBE_BAD_SETTING)
static const char* const probe_modes[] = {"fast", "slow", NULL};
static const hubgate_plugin_setting probe_columns[] = {
    {sizeof(hubgate_plugin_setting), HUBGATE_SETTING_STRING, "name", "column name", NULL,
     HUBGATE_SETTING_REQUIRED, NULL, NULL, 0},
    {sizeof(hubgate_plugin_setting), HUBGATE_SETTING_INTEGER, "width", "column width", "8", 0, NULL,
     NULL, 0},
};
static const hubgate_plugin_setting probe_settings[] = {
    {sizeof(hubgate_plugin_setting), HUBGATE_SETTING_STRING, "label", "what to call it", NULL,
     HUBGATE_SETTING_REQUIRED, NULL, NULL, 0},
    {sizeof(hubgate_plugin_setting), HUBGATE_SETTING_STRING, "mode", "how fast", "\"fast\"", 0,
     probe_modes, NULL, 0},
    {sizeof(hubgate_plugin_setting), HUBGATE_SETTING_INTEGER, "retries", "how often", "3", 0, NULL,
     NULL, 0},
    {sizeof(hubgate_plugin_setting), HUBGATE_SETTING_NUMBER, "ratio", "a share", "0.5", 0, NULL,
     NULL, 0},
    {sizeof(hubgate_plugin_setting), HUBGATE_SETTING_BOOLEAN, "verbose", "", "false", 0, NULL, NULL,
     0},
    {sizeof(hubgate_plugin_setting), HUBGATE_SETTING_STRING_LIST, "tags", "labels", "[\"a\"]", 0,
     NULL, NULL, 0},
    {sizeof(hubgate_plugin_setting), HUBGATE_SETTING_TABLE_LIST, "columns", "the columns", "[]", 0,
     NULL, probe_columns, 2},
#if defined(PROBE_BAD_SETTING)
    {sizeof(hubgate_plugin_setting), 99, "future", "a type from a later hubgate", NULL, 0, NULL,
     NULL, 0},
#endif
};
/* Not transform_downlink: create() registers it anyway, and the host must refuse it. */
static const int32_t probe_hooks[] = {HUBGATE_HOOK_DERIVE_DEVICE_ID, HUBGATE_HOOK_TRANSFORM_UPLINK};
#define PROBE_DECLARATIONS \
    probe_settings, sizeof probe_settings / sizeof probe_settings[0], probe_hooks, 2
#elif HUBGATE_PLUGIN_ABI_MINOR >= 1
#define PROBE_DECLARATIONS NULL, 0, NULL, 0
#endif

/* PROBE_FUTURE_MINOR: a descriptor from a later 1.x with a field this host does not know. */
static const struct {
    hubgate_plugin_descriptor known;
    const char* appended_field;
} probe = {{
#if defined(PROBE_SHORT_STRUCT)
               (uint32_t)offsetof(hubgate_plugin_descriptor, create),
#elif defined(PROBE_FUTURE_MINOR)
               (uint32_t)(sizeof(hubgate_plugin_descriptor) + sizeof(const char*)),
#else
               (uint32_t)sizeof(hubgate_plugin_descriptor),
#endif
#if defined(PROBE_WRONG_MAJOR)
               HUBGATE_PLUGIN_ABI_MAJOR + 1,
#else
               HUBGATE_PLUGIN_ABI_MAJOR,
#endif
#if defined(PROBE_FUTURE_MINOR)
               HUBGATE_PLUGIN_ABI_MINOR + 1,
#else
               HUBGATE_PLUGIN_ABI_MINOR,
#endif
               "probe", "0.0.1", "test plugin driven by its payload",
               "trusted-input-only: tests only", create, destroy,
#if defined(PROBE_DECLARATIONS)
               PROBE_DECLARATIONS
#endif
           },
           "appended in a later minor"};

#if defined(PROBE_NO_ENTRY)
HUBGATE_PLUGIN_EXPORT const hubgate_plugin_descriptor* some_other_name(void) {
    return &probe.known;
}
#else
HUBGATE_PLUGIN_EXPORT const hubgate_plugin_descriptor* hubgate_plugin_entry(void) {
    return &probe.known;
}
#endif
