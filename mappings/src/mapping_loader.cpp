#include "mapping_loader.hpp"

#include <algorithm>

#include "downlink_loader.hpp"
#include "hubgate/iothub/property_bag.hpp"
#include "toml_checker.hpp"

namespace hubgate::mappings {

namespace {

// Loads one file; keeps the context every message needs.
class FileLoader : public TomlChecker {
  public:
    FileLoader(std::string_view file, const HookLookup& hooks, MappingSet::Impl& impl,
               std::vector<LoadDiagnostic>& diagnostics)
        : TomlChecker(file, diagnostics),
          hooks_(hooks),
          impl_(impl),
          downlinks_(file, impl, diagnostics) {}

    void load(const toml::table& root) {
        check_keys(root, {"devices"}, "");
        const toml::node* devices = root.get("devices");
        if (!devices) {
            error(root.source(), "no [[devices]] table: the file maps nothing");
            return;
        }
        const toml::array* array = devices->as_array();
        if (!array || !array->is_array_of_tables()) {
            error(devices->source(), "devices: must be an array of tables ([[devices]])");
            return;
        }
        for (std::size_t i = 0; i < array->size(); ++i) {
            load_class(*array->get(i)->as_table(), "devices[" + std::to_string(i) + "]");
        }
    }

  private:
    std::vector<MessageHook*> load_plugins(const toml::table& table, const std::string& path) {
        std::vector<MessageHook*> result;
        const toml::node* node = table.get("plugins");
        if (!node)
            return result;
        const toml::array* array = node->as_array();
        if (!array) {
            error(node->source(), child_path(path, "plugins") + ": must be an array of names");
            return result;
        }
        for (const toml::node& item : *array) {
            const auto* name = item.as_string();
            if (!name) {
                error(item.source(), child_path(path, "plugins") + ": must be an array of names");
                continue;
            }
            MessageHook* hook = hooks_ ? hooks_(name->get()) : nullptr;
            if (!hook) {
                error(item.source(), child_path(path, "plugins") + ": unknown plugin " +
                                         in_quotes(name->get()) + " (not loaded)");
                continue;
            }
            result.push_back(hook);
        }
        return result;
    }

    void load_class(const toml::table& table, const std::string& path) {
        check_keys(table, {"name", "id", "plugins", "uplink", "downlink", "static"}, path);
        DeviceClass device_class;
        device_class.position = at(table.source());
        if (const std::string* name = get_string(table, "name", path)) {
            device_class.name = *name;
        } else {
            // Unnamed classes of different files must not collide.
            device_class.name = std::string(file_) + ":" + path;
        }
        if (impl_.class_by_name.contains(device_class.name)) {
            const toml::node* name = table.get("name");
            error(name ? name->source() : table.source(),
                  child_path(path, "name") + ": device class " + in_quotes(device_class.name) +
                      " is defined twice");
        }
        if (const std::string* id = get_string(table, "id", path)) {
            device_class.id = compile_template(*table.get("id"), *id, child_path(path, "id"));
        }
        device_class.hooks = load_plugins(table, path);
        const auto class_index = static_cast<std::uint32_t>(impl_.classes.size());
        impl_.classes.push_back(std::move(device_class));
        DeviceClass& stored = impl_.classes.back();
        impl_.class_by_name.emplace(std::string_view(stored.name), class_index);

        std::vector<UplinkRule> rules;
        if (const toml::node* uplink = table.get("uplink")) {
            if (const toml::table* uplink_table = uplink->as_table()) {
                load_uplink(*uplink_table, child_path(path, "uplink"), class_index, rules);
            } else {
                error(uplink->source(), child_path(path, "uplink") + ": must be a table");
            }
        }
        std::vector<std::string> captures;
        if (const toml::node* downlink = table.get("downlink")) {
            if (const toml::table* downlink_table = downlink->as_table()) {
                load_method_reply(*downlink_table, child_path(path, "downlink"), class_index,
                                  rules);
            }
        }
        for (const UplinkRule& rule : rules) {
            for (std::string& name : rule.pattern.capture_names()) {
                if (std::find(captures.begin(), captures.end(), name) == captures.end()) {
                    captures.push_back(std::move(name));
                }
            }
        }
        if (const toml::node* statics = table.get("static")) {
            if (const toml::table* static_table = statics->as_table()) {
                downlinks_.load_static(*static_table, child_path(path, "static"), class_index,
                                       captures);
            } else {
                error(statics->source(), child_path(path, "static") + ": must be a table");
            }
        }
        if (const toml::node* downlink = table.get("downlink")) {
            if (const toml::table* downlink_table = downlink->as_table()) {
                downlinks_.load_downlinks(*downlink_table, child_path(path, "downlink"), stored,
                                          captures);
            } else {
                error(downlink->source(), child_path(path, "downlink") + ": must be a table");
            }
        }
        // toml++ tables are sorted by key: restore file order, the documented tie-breaker.
        std::stable_sort(rules.begin(), rules.end(), [](const auto& a, const auto& b) {
            return std::tie(a.position.line, a.position.column) <
                   std::tie(b.position.line, b.position.column);
        });
        const bool has_twin_topic =
            stored.downlinks[static_cast<std::size_t>(DownlinkKind::twin_answer)].has_value();
        for (UplinkRule& rule : rules) {
            if (rule.kind == UplinkKind::twin_get && !rule.reply && !has_twin_topic) {
                error(rule.position, path + ": twin-get rule " + in_quotes(rule.pattern.text()) +
                                         " needs `reply` or a [devices.downlink] twin topic:"
                                         " the twin document must go somewhere");
            }
            if (rule.kind != UplinkKind::ignore && !rule.own_id && stored.id) {
                check_names(*stored.id, rule.pattern.capture_names(), *table.get("id"),
                            child_path(path, "id"),
                            " — the id template must use captures every pattern of the class has"
                            " (pattern " +
                                in_quotes(rule.pattern.text()) + " at line " +
                                std::to_string(rule.position.line) + ")");
            }
            if (rule.kind != UplinkKind::ignore && !rule.own_id && !stored.id &&
                stored.hooks.empty() && rule.hooks.empty()) {
                error(rule.position, path + ": rule " + in_quotes(rule.pattern.text()) +
                                         " needs an `id` template (on the rule or the class)"
                                         " or a plugin that derives the id");
            }
            bind_rule(rule, stored);
            impl_.rules.push_back(std::move(rule));
        }
    }

    // Resolves template names to capture positions, once, for the router.
    static void bind_rule(UplinkRule& rule, const DeviceClass& device_class) {
        const TopicPattern& pattern = rule.pattern;
        if (rule.own_id) {
            rule.id = bind_template(*rule.own_id, pattern);
        } else if (device_class.id) {
            rule.id = bind_template(*device_class.id, pattern);
        }
        for (PropertyTemplate& property : rule.properties) {
            property.bound = bind_template(property.value, pattern);
        }
        if (rule.reply)
            rule.bound_reply = bind_template(*rule.reply, pattern);
        const std::vector<std::string> names = pattern.capture_names();
        rule.capture_count = names.size();
        for (std::size_t i = 0; i < names.size(); ++i) {
            const auto slot = static_cast<std::int16_t>(i);
            if (names[i] == "rid")
                rule.rid_capture = slot;
            if (names[i] == "method")
                rule.method_capture = slot;
            if (names[i] == "status")
                rule.status_capture = slot;
        }
        rule.hooks_add_properties = !rule.hooks.empty();
    }

    void load_uplink(const toml::table& table, const std::string& path, std::uint32_t class_index,
                     std::vector<UplinkRule>& rules) {
        for (const auto& [key, node] : table) {
            const std::string rule_path = child_path(path, key.str());
            std::optional<TopicPattern> pattern =
                compile_pattern(key.source(), key.str(), rule_path);
            UplinkRule rule;
            rule.device_class = class_index;
            rule.position = at(key.source());
            rule.hooks = impl_.classes[class_index].hooks;
            const toml::table* spec = node.as_table();
            const std::string* send = nullptr;
            if (const auto* kind_text = node.as_string()) {
                send = &kind_text->get();
            } else if (spec) {
                send = get_string(*spec, "send", rule_path);
                if (!send && !spec->get("send")) {
                    error(node.source(), rule_path + ": missing key \"send\"");
                }
            } else {
                error(node.source(), rule_path +
                                         ": must be a kind (\"telemetry\") or a table "
                                         "{ send = ..., ... }");
            }
            if (!send || !pattern)
                continue;
            const std::optional<UplinkKind> kind = uplink_kind_from_string(*send);
            if (!kind) {
                error(spec ? spec->get("send")->source() : node.source(),
                      rule_path + ": unknown kind " + in_quotes(*send) +
                          " (allowed: telemetry, reported, twin-get, method-reply, ignore)");
                continue;
            }
            rule.kind = *kind;
            rule.pattern = std::move(*pattern);
            if (spec && !load_rule_options(*spec, rule_path, rule))
                continue;
            rules.push_back(std::move(rule));
        }
    }

    bool load_rule_options(const toml::table& spec, const std::string& path, UplinkRule& rule) {
        const std::size_t errors_before = diagnostic_count();
        switch (rule.kind) {
            case UplinkKind::telemetry:
                check_keys(spec, {"send", "id", "plugins", "properties"}, path);
                break;
            case UplinkKind::twin_get:
                check_keys(spec, {"send", "id", "plugins", "reply"}, path);
                break;
            case UplinkKind::method_reply:
                check_keys(spec, {"send", "id", "plugins", "method", "status"}, path);
                break;
            default:
                check_keys(spec, {"send", "id", "plugins"}, path);
                break;
        }
        std::vector<std::string> captures = rule.pattern.capture_names();
        if (const std::string* id = get_string(spec, "id", path)) {
            rule.own_id = compile_template(*spec.get("id"), *id, child_path(path, "id"));
            if (rule.own_id)
                check_names(*rule.own_id, captures, *spec.get("id"), path);
        }
        for (MessageHook* hook : load_plugins(spec, path))
            rule.hooks.push_back(hook);
        if (const toml::node* properties = spec.get("properties")) {
            load_properties(*properties, child_path(path, "properties"), captures, rule);
        }
        if (const std::string* reply = get_string(spec, "reply", path)) {
            rule.reply = compile_template(*spec.get("reply"), *reply, child_path(path, "reply"));
            std::vector<std::string> known = captures;
            known.push_back("device_id");
            if (rule.reply) {
                check_names(*rule.reply, known, *spec.get("reply"), child_path(path, "reply"),
                            " — {status} is not known yet when the request goes up: use"
                            " [devices.downlink] twin for it");
            }
        }
        if (const std::string* method = get_string(spec, "method", path)) {
            rule.method = *method;
        }
        if (const toml::node* status = spec.get("status")) {
            const auto* number = status->as_integer();
            if (!number || number->get() < 100 || number->get() > 999) {
                error(status->source(),
                      child_path(path, "status") + ": must be an integer status code (100..999)");
            } else {
                rule.status = static_cast<int>(number->get());
            }
        }
        return diagnostic_count() == errors_before;
    }

    void load_properties(const toml::node& node, const std::string& path,
                         std::vector<std::string> known, UplinkRule& rule) {
        const toml::table* table = node.as_table();
        if (!table) {
            error(node.source(), path + ": must be a table of name = \"template\"");
            return;
        }
        known.push_back("device_id");
        known.push_back("now");
        for (const auto& [key, value] : *table) {
            const std::string name(key.str());
            const std::string property_path = child_path(path, name);
            if (name.empty()) {
                error(key.source(), property_path + ": empty property name");
                continue;
            }
            if (iothub::is_reserved_property_name(name) &&
                !iothub::is_settable_system_property(name)) {
                error(key.source(), property_path + ": " + in_quotes(name) +
                                        " is reserved (system properties allowed: $.ct, $.ce, "
                                        "$.mid, $.cid, $.uid, iothub-creation-time-utc)");
                continue;
            }
            const auto* text = value.as_string();
            if (!text) {
                error(value.source(), property_path + ": must be a string template");
                continue;
            }
            std::optional<TextTemplate> tmpl = compile_template(value, text->get(), property_path);
            if (!tmpl || !check_names(*tmpl, known, value, property_path))
                continue;
            rule.properties.push_back(PropertyTemplate{name, std::move(*tmpl), std::nullopt});
        }
        std::stable_sort(rule.properties.begin(), rule.properties.end(),
                         [&](const PropertyTemplate& a, const PropertyTemplate& b) {
                             const auto where = [&](const PropertyTemplate& p) {
                                 const toml::source_position begin =
                                     table->get(p.name)->source().begin;
                                 return std::pair(begin.line, begin.column);
                             };
                             return where(a) < where(b);
                         });
    }

    // `downlink.method.reply` is an uplink pattern: a method reply rule of the class.
    void load_method_reply(const toml::table& downlink, const std::string& path,
                           std::uint32_t class_index, std::vector<UplinkRule>& rules) {
        const toml::node* method = downlink.get("method");
        const toml::table* method_table = method ? method->as_table() : nullptr;
        const toml::node* reply = method_table ? method_table->get("reply") : nullptr;
        if (!reply)
            return;
        const std::string reply_path = child_path(child_path(path, "method"), "reply");
        const auto* text = reply->as_string();
        if (!text) {
            error(reply->source(), reply_path + ": must be a topic pattern");
            return;
        }
        std::optional<TopicPattern> pattern =
            compile_pattern(reply->source(), text->get(), reply_path);
        if (!pattern)
            return;
        UplinkRule rule;
        rule.kind = UplinkKind::method_reply;
        rule.device_class = class_index;
        rule.position = at(reply->source());
        rule.hooks = impl_.classes[class_index].hooks;
        rule.pattern = std::move(*pattern);
        rules.push_back(std::move(rule));
    }

    const HookLookup& hooks_;
    MappingSet::Impl& impl_;
    DownlinkLoader downlinks_;
};

}  // namespace

void load_mapping_file(const toml::table& root, std::string_view file, const HookLookup& hooks,
                       MappingSet::Impl& impl, std::vector<LoadDiagnostic>& diagnostics) {
    FileLoader(file, hooks, impl, diagnostics).load(root);
}

}  // namespace hubgate::mappings
