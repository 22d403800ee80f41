// text-to-json: turns CSV lines or key=value text from legacy devices into JSON telemetry.
//
// Brownfield devices often publish `21.5,40,OK` or `temp=21.5;hum=40`. IoT Hub routing queries,
// Stream Analytics and most dashboards want a JSON body; this plugin converts the uplink payload
// with configured field names and types and marks the message as JSON ($.ct, $.ce). Config (the
// instance's `config` table):
//   format        "csv" or "kv" (required)
//   fields        [{name = "temperature", type = "number"}, ...]; types: string, number, integer,
//                 boolean (true/false/1/0). csv: required, one per column, in order; kv: optional,
//                 types for the keys it names
//   separator     one character between CSV columns or between pairs (default ","); newlines
//                 always separate CSV records and pairs
//   unknown_keys  kv only: "string" (default: keep as a string), "drop" or "reject"
//   content_type  true (default): set $.ct = application/json and $.ce = utf-8
// An empty value becomes null. CSV: one line gives an object, several lines an array of objects;
// a column count or a value that does not fit its type rejects the message, naming line and field.
// Uplink only.
//
// Trust: the payload is untrusted input: linear-time parsing, every value checked, invalid UTF-8
// replaced (U+FFFD) in the output, no state between messages, no exception leaves the plugin.
#include <hubgate/plugin.h>

#include <cstdio>
#include <exception>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "text_records.hpp"

namespace {

using nlohmann::json;

// One configured instance.
struct TextToJson {
    text_to_json::Format format;
    bool set_content_type = true;
};

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

int set_property(hubgate_uplink_event* event, const std::string& name, const std::string& value) {
    return event->set_property(event, name.data(), name.size(), value.data(), value.size());
}

int transform_uplink(void* instance, void* event_data, char* error, size_t error_size) {
    return guarded(error, error_size, [&] {
        const auto& self = *static_cast<const TextToJson*>(instance);
        auto* event = static_cast<hubgate_uplink_event*>(event_data);
        const auto converted = text_to_json::convert(
            self.format, std::string_view(event->payload.data, event->payload.size));
        if (const auto* reason = std::get_if<std::string>(&converted)) {
            std::snprintf(error, error_size, "%s", reason->c_str());
            return HUBGATE_PLUGIN_ERROR;
        }
        const auto body = std::get<nlohmann::ordered_json>(converted).dump(
            -1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
        int code = event->set_payload(event, body.data(), body.size());
        if (code == HUBGATE_PLUGIN_OK && self.set_content_type) {
            code = set_property(event, "$.ct", "application/json");
            if (code == HUBGATE_PLUGIN_OK) {
                code = set_property(event, "$.ce", "utf-8");
            }
        }
        if (code != HUBGATE_PLUGIN_OK) {
            std::snprintf(error, error_size, "hubgate refused the converted message");
        }
        return code;
    });
}

// Fills `self` from the config; an error message when the config is not usable.
std::string configure(const json& config, TextToJson& self) {
    if (!config.is_object()) {
        return "config is not a JSON object";
    }
    for (const auto& [key, value] : config.items()) {
        if (key != "format" && key != "fields" && key != "separator" && key != "unknown_keys" &&
            key != "content_type") {
            return "unknown key '" + key +
                   "' (allowed: format, fields, separator, unknown_keys, content_type)";
        }
    }
    const auto format = config.value("format", json());
    if (format != "csv" && format != "kv") {
        return "'format' must be \"csv\" or \"kv\"";
    }
    self.format.csv = format == "csv";
    const auto fields = config.value("fields", json::array());
    if (!fields.is_array() || (self.format.csv && fields.empty())) {
        return "'fields' must be a list of {name, type} tables (at least one for csv)";
    }
    for (const auto& entry : fields) {
        text_to_json::Field field;
        const auto name = entry.is_object() ? entry.value("name", json()) : json();
        const auto type = entry.is_object() ? entry.value("type", json("string")) : json();
        if (!name.is_string() || name.get<std::string>().empty()) {
            return "every field needs a non-empty 'name'";
        }
        field.name = name.get<std::string>();
        if (!type.is_string() ||
            !text_to_json::parse_field_type(type.get<std::string>(), field.type)) {
            return "field '" + field.name + "': type must be string, number, integer or boolean";
        }
        self.format.fields.push_back(std::move(field));
    }
    const auto separator = config.value("separator", json(","));
    if (!separator.is_string() || separator.get<std::string>().size() != 1 ||
        separator.get<std::string>() == "\n" || separator.get<std::string>() == "=") {
        return "'separator' must be one character other than a newline or '='";
    }
    self.format.separator = separator.get<std::string>()[0];
    const auto unknown = config.value("unknown_keys", json("string"));
    if (unknown == "string") {
        self.format.unknown_keys = text_to_json::UnknownKeys::KeepAsString;
    } else if (unknown == "drop") {
        self.format.unknown_keys = text_to_json::UnknownKeys::Drop;
    } else if (unknown == "reject") {
        self.format.unknown_keys = text_to_json::UnknownKeys::Reject;
    } else {
        return "'unknown_keys' must be \"string\", \"drop\" or \"reject\"";
    }
    const auto content_type = config.value("content_type", json(true));
    if (!content_type.is_boolean()) {
        return "'content_type' must be true or false";
    }
    self.set_content_type = content_type.get<bool>();
    return {};
}

int create(const hubgate_plugin_host* host, const char* config_json, size_t config_size,
           void** instance, char* error, size_t error_size) {
    return guarded(error, error_size, [&] {
        auto self = std::make_unique<TextToJson>();
        const auto problem =
            configure(json::parse(config_json, config_json + config_size, nullptr, false), *self);
        if (!problem.empty()) {
            std::snprintf(error, error_size, "%s", problem.c_str());
            return HUBGATE_PLUGIN_ERROR;
        }
        if (host->register_hook(host, HUBGATE_HOOK_TRANSFORM_UPLINK, &transform_uplink) !=
            HUBGATE_PLUGIN_OK) {
            std::snprintf(error, error_size, "host refused the transform_uplink hook");
            return HUBGATE_PLUGIN_ERROR;
        }
        *instance = self.release();
        return HUBGATE_PLUGIN_OK;
    });
}

void destroy(void* instance) {
    delete static_cast<TextToJson*>(instance);
}

// Declared so that `hubgate check` finds config mistakes at their line and `hubgate plugin info`
// lists them; configure() still checks everything itself (a 1.0 host hands the config unchecked).
const char* const kFormats[] = {"csv", "kv", nullptr};
const char* const kFieldTypes[] = {"string", "number", "integer", "boolean", nullptr};
const char* const kUnknownKeys[] = {"string", "drop", "reject", nullptr};
const hubgate_plugin_setting kFieldSettings[] = {
    {.struct_size = sizeof(hubgate_plugin_setting),
     .type = HUBGATE_SETTING_STRING,
     .name = "name",
     .description = "the JSON member name",
     .default_json = nullptr,
     .flags = HUBGATE_SETTING_REQUIRED,
     .choices = nullptr,
     .fields = nullptr,
     .field_count = 0},
    {.struct_size = sizeof(hubgate_plugin_setting),
     .type = HUBGATE_SETTING_STRING,
     .name = "type",
     .description = "how the text is converted (boolean: true/false/1/0)",
     .default_json = "\"string\"",
     .flags = 0,
     .choices = kFieldTypes,
     .fields = nullptr,
     .field_count = 0},
};
const hubgate_plugin_setting kSettings[] = {
    {.struct_size = sizeof(hubgate_plugin_setting),
     .type = HUBGATE_SETTING_STRING,
     .name = "format",
     .description = "CSV lines, or key=value pairs",
     .default_json = nullptr,
     .flags = HUBGATE_SETTING_REQUIRED,
     .choices = kFormats,
     .fields = nullptr,
     .field_count = 0},
    {.struct_size = sizeof(hubgate_plugin_setting),
     .type = HUBGATE_SETTING_TABLE_LIST,
     .name = "fields",
     .description = "csv: one per column, in order (at least one); kv: types for the keys named",
     .default_json = "[]",
     .flags = 0,
     .choices = nullptr,
     .fields = kFieldSettings,
     .field_count = std::size(kFieldSettings)},
    {.struct_size = sizeof(hubgate_plugin_setting),
     .type = HUBGATE_SETTING_STRING,
     .name = "separator",
     .description = "one character between CSV columns or between pairs; newlines always separate",
     .default_json = "\",\"",
     .flags = 0,
     .choices = nullptr,
     .fields = nullptr,
     .field_count = 0},
    {.struct_size = sizeof(hubgate_plugin_setting),
     .type = HUBGATE_SETTING_STRING,
     .name = "unknown_keys",
     .description = "kv only: a key not in fields is kept as a string, dropped or rejected",
     .default_json = "\"string\"",
     .flags = 0,
     .choices = kUnknownKeys,
     .fields = nullptr,
     .field_count = 0},
    {.struct_size = sizeof(hubgate_plugin_setting),
     .type = HUBGATE_SETTING_BOOLEAN,
     .name = "content_type",
     .description = "set $.ct = application/json and $.ce = utf-8",
     .default_json = "true",
     .flags = 0,
     .choices = nullptr,
     .fields = nullptr,
     .field_count = 0},
};
const int32_t kHooks[] = {HUBGATE_HOOK_TRANSFORM_UPLINK};

const hubgate_plugin_descriptor kDescriptor = {
    sizeof(hubgate_plugin_descriptor),
    HUBGATE_PLUGIN_ABI_MAJOR,
    HUBGATE_PLUGIN_ABI_MINOR,
    "text-to-json",
    "1.1.0",
    "CSV lines or key=value text to JSON with configured field names and types",
    "untrusted-input-ok: linear parse, every value type-checked, no state between messages",
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
