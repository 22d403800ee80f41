// json-identity: takes the device id from a field of a JSON payload.
//
// For fleets whose devices all publish to one topic (say `sensors/data`) and name themselves in
// the payload: {"serial": "A-17", "t": 21.5}. The rule's device id template is then replaced by
// the field's value. Config (all in the instance's `config` table):
//   field       required: a top-level member name ("serial") or a JSON pointer ("/meta/id")
//   prefix      optional: prepended to the value, e.g. "plant1-" (default "")
//   on_missing  "reject" (default): a payload that is not JSON or lacks the field is rejected;
//               "keep": such a message keeps the rule's device id template
// A string value is used as is, an integer in decimal; anything else is rejected. hubgate checks
// the resulting id against IoT Hub's rules. Uplink only: no transform hooks.
//
// Trust: the payload is untrusted input. It is parsed without exceptions (nlohmann::json's
// non-throwing parse, iterative), nothing is kept between messages, and no exception leaves the
// plugin.
#include <hubgate/plugin.h>

#include <cstdio>
#include <exception>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

namespace {

using nlohmann::json;

// One configured instance.
struct JsonIdentity {
    json::json_pointer pointer;
    std::string prefix;
    bool keep_when_missing = false;
};

void write_error(char* error, size_t size, const std::string& message) {
    std::snprintf(error, size, "%s", message.c_str());
}

// Runs `body`, turning any exception into an error code: nothing may unwind into hubgate.
template <typename Body>
int guarded(char* error, size_t size, Body&& body) noexcept {
    try {
        return body();
    } catch (const std::exception& e) {
        std::snprintf(error, size, "%s", e.what());
    } catch (...) {
        std::snprintf(error, size, "unexpected exception");
    }
    return HUBGATE_PLUGIN_ERROR;
}

json::json_pointer pointer_for(const std::string& field) {
    if (field.starts_with("/")) {
        return json::json_pointer(field);  // throws on a malformed pointer: reported by create()
    }
    return json::json_pointer() / field;  // a member name, '/' and '~' included, taken as is
}

int derive_device_id(void* instance, void* event_data, char* error, size_t error_size) {
    return guarded(error, error_size, [&] {
        const auto& self = *static_cast<const JsonIdentity*>(instance);
        auto* event = static_cast<hubgate_device_id_event*>(event_data);
        const auto missing = [&](const std::string& why) {
            if (self.keep_when_missing) {
                return HUBGATE_PLUGIN_OK;
            }
            write_error(error, error_size, why);
            return HUBGATE_PLUGIN_ERROR;
        };
        const auto* begin = event->payload.data;
        const json document = json::parse(begin, begin + event->payload.size, nullptr, false);
        if (document.is_discarded()) {
            return missing("payload is not JSON");
        }
        if (!document.contains(self.pointer)) {
            return missing("payload has no field " + self.pointer.to_string());
        }
        const json& value = document.at(self.pointer);
        std::string id;
        if (value.is_string()) {
            id = value.get<std::string>();
        } else if (value.is_number_integer()) {
            id = value.dump();
        } else {
            write_error(error, error_size,
                        "field " + self.pointer.to_string() + " is a " + value.type_name() +
                            ", expected a string or an integer");
            return HUBGATE_PLUGIN_ERROR;
        }
        if (id.empty()) {
            return missing("field " + self.pointer.to_string() + " is empty");
        }
        id.insert(0, self.prefix);
        return event->set_device_id(event, id.data(), id.size());
    });
}

int create(const hubgate_plugin_host* host, const char* config_json, size_t config_size,
           void** instance, char* error, size_t error_size) {
    return guarded(error, error_size, [&] {
        const json config = json::parse(config_json, config_json + config_size, nullptr, false);
        if (!config.is_object()) {
            write_error(error, error_size, "config is not a JSON object");
            return HUBGATE_PLUGIN_ERROR;
        }
        for (const auto& [key, value] : config.items()) {
            if (key != "field" && key != "prefix" && key != "on_missing") {
                write_error(error, error_size,
                            "unknown key '" + key + "' (allowed: field, prefix, on_missing)");
                return HUBGATE_PLUGIN_ERROR;
            }
        }
        const auto field = config.value("field", json());
        if (!field.is_string() || field.get<std::string>().empty()) {
            write_error(error, error_size, "'field' must be a non-empty string");
            return HUBGATE_PLUGIN_ERROR;
        }
        const auto prefix = config.value("prefix", json(""));
        const auto on_missing = config.value("on_missing", json("reject"));
        if (!prefix.is_string()) {
            write_error(error, error_size, "'prefix' must be a string");
            return HUBGATE_PLUGIN_ERROR;
        }
        if (on_missing != "reject" && on_missing != "keep") {
            write_error(error, error_size, "'on_missing' must be \"reject\" or \"keep\"");
            return HUBGATE_PLUGIN_ERROR;
        }
        auto self = std::make_unique<JsonIdentity>();
        self->pointer = pointer_for(field.get<std::string>());
        self->prefix = prefix.get<std::string>();
        self->keep_when_missing = on_missing == "keep";
        const int code =
            host->register_hook(host, HUBGATE_HOOK_DERIVE_DEVICE_ID, &derive_device_id);
        if (code != HUBGATE_PLUGIN_OK) {
            write_error(error, error_size, "host refused the derive_device_id hook");
            return HUBGATE_PLUGIN_ERROR;
        }
        *instance = self.release();
        return HUBGATE_PLUGIN_OK;
    });
}

void destroy(void* instance) {
    delete static_cast<JsonIdentity*>(instance);
}

// Declared so that `hubgate check` finds config mistakes at their line and `hubgate plugin info`
// lists them; create() still checks everything itself (a 1.0 host hands the config unchecked).
const char* const kOnMissingChoices[] = {"reject", "keep", nullptr};
const hubgate_plugin_setting kSettings[] = {
    {.struct_size = sizeof(hubgate_plugin_setting),
     .type = HUBGATE_SETTING_STRING,
     .name = "field",
     .description = "a top-level member name (\"serial\") or a JSON pointer (\"/meta/id\")",
     .default_json = nullptr,
     .flags = HUBGATE_SETTING_REQUIRED,
     .choices = nullptr,
     .fields = nullptr,
     .field_count = 0},
    {.struct_size = sizeof(hubgate_plugin_setting),
     .type = HUBGATE_SETTING_STRING,
     .name = "prefix",
     .description = "prepended to the value, e.g. \"plant1-\"",
     .default_json = "\"\"",
     .flags = 0,
     .choices = nullptr,
     .fields = nullptr,
     .field_count = 0},
    {.struct_size = sizeof(hubgate_plugin_setting),
     .type = HUBGATE_SETTING_STRING,
     .name = "on_missing",
     .description = "a payload that is not JSON or lacks the field: reject it, or keep the "
                    "rule's device id template",
     .default_json = "\"reject\"",
     .flags = 0,
     .choices = kOnMissingChoices,
     .fields = nullptr,
     .field_count = 0},
};
const int32_t kHooks[] = {HUBGATE_HOOK_DERIVE_DEVICE_ID};

const hubgate_plugin_descriptor kDescriptor = {
    sizeof(hubgate_plugin_descriptor),
    HUBGATE_PLUGIN_ABI_MAJOR,
    HUBGATE_PLUGIN_ABI_MINOR,
    "json-identity",
    "1.1.0",
    "device id from a field of a JSON payload (one topic, many devices)",
    "untrusted-input-ok: non-throwing JSON parse of the payload, no state between messages",
    &create,
    &destroy,
    kSettings,
    std::size(kSettings),
    kHooks,
    std::size(kHooks),
};

}  // namespace

extern "C" HUBGATE_PLUGIN_EXPORT const hubgate_plugin_descriptor* hubgate_plugin_entry(void) {
    return &kDescriptor;
}
