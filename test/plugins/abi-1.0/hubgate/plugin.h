/*
 * hubgate plugin ABI: the only interface between hubgate and a plugin (a shared library).
 * Plain C (C99), usable from C++. See PLUGINS.md for a walk-through and the versioning rules.
 *
 * Shape of the contract:
 *  - The plugin exports one function, hubgate_plugin_entry(), returning a static descriptor that
 *    states the ABI version it was built against and its own struct size.
 *  - hubgate calls descriptor->create() once per configured instance, passing the instance's
 *    config as JSON text and a host table; during create() the plugin registers one function per
 *    hook it implements (register_hook), so new hooks can be added without breaking old plugins.
 *  - Every hook receives an event struct that starts with its struct_size; results are handed
 *    back through the event's setter functions, which copy the data: the plugin keeps ownership
 *    of its own memory and hubgate never frees a plugin allocation (and vice versa).
 *  - Errors are return codes plus a NUL-terminated message written into a caller-provided buffer.
 *    A failing hook rejects that one message; hubgate counts it and logs the message.
 *  - Nothing may unwind across this boundary: a plugin written in C++ catches every exception.
 *
 * Versioning: HUBGATE_PLUGIN_ABI_MAJOR changes when an existing type, field, function signature
 * or meaning changes; hubgate refuses plugins of another major. HUBGATE_PLUGIN_ABI_MINOR changes
 * when something is appended (a field at the end of a struct, a new hook id); both sides accept
 * a peer of another minor, check struct_size before reading appended fields (HUBGATE_HAS_FIELD)
 * and get HUBGATE_PLUGIN_UNKNOWN_HOOK for hooks the host does not have.
 */
#ifndef HUBGATE_PLUGIN_H
#define HUBGATE_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HUBGATE_PLUGIN_ABI_MAJOR 1
#define HUBGATE_PLUGIN_ABI_MINOR 0

/* The symbol hubgate looks up with dlsym. */
#define HUBGATE_PLUGIN_ENTRY_SYMBOL "hubgate_plugin_entry"

/* Plugins should build with -fvisibility=hidden and export only the entry point. */
#if defined(_WIN32)
#define HUBGATE_PLUGIN_EXPORT __declspec(dllexport)
#else
#define HUBGATE_PLUGIN_EXPORT __attribute__((visibility("default")))
#endif

/* True when `ptr` (a struct with a leading struct_size) is large enough to hold `field`:
 * check this before reading a field appended in a later minor version. */
#define HUBGATE_HAS_FIELD(ptr, type, field) \
    ((ptr)->struct_size >= offsetof(type, field) + sizeof(((type*)0)->field))

/* Return codes of every function in this header. */
#define HUBGATE_PLUGIN_OK 0
#define HUBGATE_PLUGIN_ERROR 1        /* plugin: failed; the reason is in the error buffer */
#define HUBGATE_PLUGIN_UNKNOWN_HOOK 2 /* host: register_hook with a hook id this host lacks */
#define HUBGATE_PLUGIN_INVALID 3 /* host: invalid argument (NULL data, empty name, no memory) */

/* Hook ids for register_hook. */
#define HUBGATE_HOOK_DERIVE_DEVICE_ID 1   /* fn's event: hubgate_device_id_event */
#define HUBGATE_HOOK_TRANSFORM_UPLINK 2   /* fn's event: hubgate_uplink_event */
#define HUBGATE_HOOK_TRANSFORM_DOWNLINK 3 /* fn's event: hubgate_downlink_event */

/* Log levels for hubgate_plugin_host.log. */
#define HUBGATE_LOG_DEBUG 0
#define HUBGATE_LOG_INFO 1
#define HUBGATE_LOG_WARNING 2
#define HUBGATE_LOG_ERROR 3

/* Size of every error buffer hubgate passes; a longer message is truncated by snprintf. */
#define HUBGATE_PLUGIN_ERROR_SIZE 512

/* A borrowed byte string: not NUL-terminated, may contain NUL; valid only during the call. */
typedef struct hubgate_str {
    const char* data;
    size_t size;
} hubgate_str;

/* One application property, or a system property when the name starts with "$." ($.ct, $.ce,
 * $.mid, $.cid, ...). */
typedef struct hubgate_property {
    hubgate_str name;
    hubgate_str value;
} hubgate_property;

/* A hook: `instance` is what create() returned, `event` points to the hook's event struct,
 * `error` is a buffer of `error_size` bytes for a NUL-terminated reason. Returns
 * HUBGATE_PLUGIN_OK, or anything else to reject this message. */
typedef int (*hubgate_hook_fn)(void* instance, void* event, char* error, size_t error_size);

/* HUBGATE_HOOK_DERIVE_DEVICE_ID: an uplink message before the rule's device id template. */
typedef struct hubgate_device_id_event {
    uint32_t struct_size;
    hubgate_str local_topic;
    hubgate_str payload;
    /* Sets this message's device id (copied). Not calling it keeps the rule's template.
     * hubgate validates the id against IoT Hub's rules afterwards. */
    int (*set_device_id)(struct hubgate_device_id_event* event, const char* data, size_t size);
    void* host; /* hubgate's; do not touch */
} hubgate_device_id_event;

/* HUBGATE_HOOK_TRANSFORM_UPLINK: an uplink message once its device id is known. */
typedef struct hubgate_uplink_event {
    uint32_t struct_size;
    hubgate_str device_id;
    hubgate_str payload;
    /* The properties as they were when the hook was called (setters do not update this view). */
    const hubgate_property* properties;
    size_t property_count;
    /* Replaces the payload (copied). */
    int (*set_payload)(struct hubgate_uplink_event* event, const char* data, size_t size);
    /* Replaces the value of the property `name`, or appends it when absent (copied). */
    int (*set_property)(struct hubgate_uplink_event* event, const char* name, size_t name_size,
                        const char* value, size_t value_size);
    /* Removes every property called `name`; OK when there is none. */
    int (*remove_property)(struct hubgate_uplink_event* event, const char* name, size_t name_size);
    void* host; /* hubgate's; do not touch */
} hubgate_uplink_event;

/* HUBGATE_HOOK_TRANSFORM_DOWNLINK: a cloud-to-device payload before it is published locally. */
typedef struct hubgate_downlink_event {
    uint32_t struct_size;
    hubgate_str device_id;
    hubgate_str kind; /* "c2d", "desired", "method" or "twin" */
    hubgate_str payload;
    /* Replaces the payload (copied). */
    int (*set_payload)(struct hubgate_downlink_event* event, const char* data, size_t size);
    void* host; /* hubgate's; do not touch */
} hubgate_downlink_event;

/* What hubgate offers a plugin while it creates an instance. */
typedef struct hubgate_plugin_host {
    uint32_t struct_size;
    uint16_t abi_major; /* the host's ABI version */
    uint16_t abi_minor;
    /* Registers `fn` for `hook_id` on the instance being created; valid only inside create().
     * Registering the same hook twice replaces the first. Returns HUBGATE_PLUGIN_OK,
     * HUBGATE_PLUGIN_UNKNOWN_HOOK (an older host) or HUBGATE_PLUGIN_INVALID (NULL fn). */
    int (*register_hook)(const struct hubgate_plugin_host* host, int32_t hook_id,
                         hubgate_hook_fn fn);
    /* Writes one line to hubgate's log, prefixed with the instance name. Never log secrets. */
    void (*log)(const struct hubgate_plugin_host* host, int level, const char* message);
    void* context; /* hubgate's; do not touch */
} hubgate_plugin_host;

/* What a plugin is; returned by hubgate_plugin_entry() and kept static by the plugin. */
typedef struct hubgate_plugin_descriptor {
    uint32_t struct_size; /* sizeof(hubgate_plugin_descriptor) as the plugin was compiled */
    uint16_t abi_major;   /* HUBGATE_PLUGIN_ABI_MAJOR as the plugin was compiled */
    uint16_t abi_minor;   /* HUBGATE_PLUGIN_ABI_MINOR as the plugin was compiled */
    const char* name;     /* e.g. "json-identity" */
    const char* version;  /* the plugin's own version, e.g. "1.2.0" */
    const char* summary;  /* one line: what it does */
    /* One line: what input it trusts, starting with "untrusted-input-ok" (parses the payload
     * defensively, bounded work per byte) or "trusted-input-only" (assumes well-formed input). */
    const char* trust;
    /* Creates an instance from its config (`config_json`: a NUL-terminated JSON object, "{}"
     * when the instance has none). Registers its hooks through `host`, stores an opaque pointer
     * in `*instance`, returns HUBGATE_PLUGIN_OK; or writes the reason into `error` and returns
     * HUBGATE_PLUGIN_ERROR (then destroy() is not called). */
    int (*create)(const hubgate_plugin_host* host, const char* config_json, size_t config_size,
                  void** instance, char* error, size_t error_size);
    /* Frees an instance; hubgate calls no hook of it afterwards. */
    void (*destroy)(void* instance);
} hubgate_plugin_descriptor;

/* Threading: hubgate never calls the hooks of one instance concurrently; hooks of different
 * instances may run at the same time on different threads, so keep state in the instance. */

typedef const hubgate_plugin_descriptor* (*hubgate_plugin_entry_fn)(void);

/* The one symbol a plugin exports. */
HUBGATE_PLUGIN_EXPORT const hubgate_plugin_descriptor* hubgate_plugin_entry(void);

#ifdef __cplusplus
}
#endif

#endif /* HUBGATE_PLUGIN_H */
