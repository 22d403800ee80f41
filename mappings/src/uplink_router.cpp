// MappingSet::route_uplink: topic → rule (through the trie) → device id → kind-specific route.

#include <charconv>
#include <type_traits>

#include <nlohmann/json.hpp>

#include "compiled_rules.hpp"
#include "hubgate/iothub/property_bag.hpp"
#include "hubgate/mappings/device_id.hpp"
#include "template_values.hpp"

namespace hubgate::mappings {

// The plugin seam (message_hook.hpp) spells the type out so that plugins need no IoT Hub header;
// it must stay the type the IoT Hub library encodes.
static_assert(std::is_same_v<Properties, iothub::Properties>);

namespace {

Rejection reject(RejectReason reason, std::string text, const UplinkRule& rule) {
    return Rejection{reason, std::move(text), rule.position};
}

Rejection hook_rejection(const MessageHook& hook, const HookError& failure,
                         const UplinkRule& rule) {
    return reject(RejectReason::hook_failed,
                  "plugin \"" + hook.name() + "\" failed: " + failure.message, rule);
}

// Renders a bound template of an uplink rule. Names were checked at load time; a missing value
// is still reported rather than trusted.
std::optional<Rejection> render_uplink(const BoundTemplate& bound, const UplinkRoute& route,
                                       const MappingSet::Impl& impl, const UplinkRule& rule,
                                       std::string& out) {
    std::string now;
    const auto missing = bound.text.render_indexed(
        [&](std::size_t variable) -> std::optional<std::string_view> {
            const std::int16_t slot = bound.slots[variable];
            if (slot >= 0 && static_cast<std::size_t>(slot) < route.captures.size()) {
                return std::string_view(route.captures[static_cast<std::size_t>(slot)].value);
            }
            if (slot == BoundTemplate::kDeviceId)
                return std::string_view(route.device_id);
            if (slot == BoundTemplate::kNow) {
                if (now.empty())
                    now = format_creation_time(impl.clock());
                return std::string_view(now);
            }
            return std::nullopt;
        },
        out);
    if (missing) {
        return reject(
            RejectReason::missing_value,
            "no value for {" + std::string(*missing) + "} in \"" + bound.text.text() + "\"", rule);
    }
    return std::nullopt;
}

// The value of a capture with a meaning (rid, method, status), when the pattern has it.
std::optional<std::string_view> meaningful_capture(const UplinkRoute& route, std::int16_t slot) {
    if (slot < 0 || static_cast<std::size_t>(slot) >= route.captures.size())
        return std::nullopt;
    return std::string_view(route.captures[static_cast<std::size_t>(slot)].value);
}

// What a JSON document is at its top level, found with one SAX pass that builds nothing.
enum class JsonTop : std::uint8_t { invalid, object, array, string, number, boolean, null };

std::string_view json_top_name(JsonTop top) {
    switch (top) {
        case JsonTop::object:
            return "object";
        case JsonTop::array:
            return "array";
        case JsonTop::string:
            return "string";
        case JsonTop::number:
            return "number";
        case JsonTop::boolean:
            return "boolean";
        case JsonTop::null:
            return "null";
        case JsonTop::invalid:
            break;
    }
    return "invalid";
}

// Validates the whole document and notes the kind of its first value (the top level).
class TopLevelType final : public nlohmann::json_sax<nlohmann::json> {
  public:
    JsonTop top = JsonTop::invalid;

    bool null() override { return note(JsonTop::null); }
    bool boolean(bool /*value*/) override { return note(JsonTop::boolean); }
    bool number_integer(number_integer_t /*value*/) override { return note(JsonTop::number); }
    bool number_unsigned(number_unsigned_t /*value*/) override { return note(JsonTop::number); }
    bool number_float(number_float_t /*value*/, const string_t& /*text*/) override {
        return note(JsonTop::number);
    }
    bool string(string_t& /*value*/) override { return note(JsonTop::string); }
    bool binary(binary_t& /*value*/) override { return note(JsonTop::string); }
    bool start_object(std::size_t /*size*/) override { return note(JsonTop::object); }
    bool key(string_t& /*key*/) override { return true; }
    bool end_object() override { return true; }
    bool start_array(std::size_t /*size*/) override { return note(JsonTop::array); }
    bool end_array() override { return true; }
    bool parse_error(std::size_t /*position*/, const std::string& /*last_token*/,
                     const nlohmann::detail::exception& /*error*/) override {
        failed = true;
        return false;
    }
    bool failed = false;

  private:
    bool note(JsonTop kind) {
        if (!seen_) {
            seen_ = true;
            top = kind;
        }
        return true;
    }
    bool seen_ = false;
};

JsonTop top_level_json_type(std::string_view text) {
    TopLevelType sax;
    const bool ok =
        nlohmann::json::sax_parse(text, &sax, nlohmann::json::input_format_t::json, true, false);
    return ok && !sax.failed ? sax.top : JsonTop::invalid;
}

std::optional<Rejection> check_properties(const Properties& properties, const UplinkRule& rule) {
    for (const auto& [name, value] : properties) {
        if (name.empty()) {
            return reject(RejectReason::invalid_property, "a property has an empty name", rule);
        }
        if (iothub::is_reserved_property_name(name) && !iothub::is_settable_system_property(name)) {
            return reject(RejectReason::invalid_property,
                          "property \"" + name + "\" is reserved by IoT Hub", rule);
        }
    }
    return std::nullopt;
}

std::optional<Rejection> fill_method_reply(UplinkRoute& route, const UplinkRule& rule) {
    const auto method = meaningful_capture(route, rule.method_capture);
    route.method = method ? std::string(*method) : rule.method;
    if (const auto rid = meaningful_capture(route, rule.rid_capture)) {
        route.request_id = std::string(*rid);
    } else {
        route.reply_to_oldest_pending = true;
    }
    route.status = rule.status;
    if (const auto status = meaningful_capture(route, rule.status_capture)) {
        int value = 0;
        const auto [end, error] =
            std::from_chars(status->data(), status->data() + status->size(), value);
        if (error != std::errc() || end != status->data() + status->size() || value < 100 ||
            value > 999) {
            return reject(RejectReason::invalid_status,
                          "method status \"" + std::string(status->substr(0, 32)) +
                              "\" is not an integer status code (100..999)",
                          rule);
        }
        route.status = value;
    }
    return std::nullopt;
}

}  // namespace

UplinkResult MappingSet::route_uplink(std::string_view topic, std::string_view payload) const {
    return route_uplink(topic, payload, Captures{});
}

UplinkResult MappingSet::route_uplink(std::string_view topic, std::string_view payload,
                                      Captures&& recycled) const {
    const Impl& impl = *impl_;
    Captures captures = std::move(recycled);
    captures.clear();
    captures.reserve(4);
    const std::int64_t found = impl.trie.find(topic, [&](std::uint32_t index) {
        captures.clear();
        return impl.rules[index].pattern.match(topic, &captures);
    });
    if (found < 0)
        return NoMatch{};
    const UplinkRule& rule = impl.rules[static_cast<std::size_t>(found)];
    const DeviceClass& device_class = impl.classes[rule.device_class];

    UplinkRoute route;
    route.kind = rule.kind;
    route.device_class = device_class.name;
    route.captures = std::move(captures);
    route.rule = rule.position;
    if (rule.kind == UplinkKind::ignore)
        return route;

    if (rule.id) {
        if (auto failure = render_uplink(*rule.id, route, impl, rule, route.device_id)) {
            return *failure;
        }
    }
    for (MessageHook* hook : rule.hooks) {
        if (auto failure = hook->derive_device_id(topic, payload, route.device_id)) {
            return hook_rejection(*hook, *failure, rule);
        }
    }
    if (auto problem = device_id_error(route.device_id)) {
        return reject(RejectReason::invalid_device_id,
                      *problem + " (id \"" + route.device_id.substr(0, 160) + "\")", rule);
    }

    route.payload.assign(payload);
    if (rule.kind == UplinkKind::twin_get) {
        if (const auto rid = meaningful_capture(route, rule.rid_capture)) {
            route.request_id = std::string(*rid);
        }
        if (rule.bound_reply) {
            if (auto failure =
                    render_uplink(*rule.bound_reply, route, impl, rule, route.reply_topic)) {
                return *failure;
            }
            if (auto problem = local_topic_error(route.reply_topic)) {
                return reject(RejectReason::invalid_local_topic, *problem, rule);
            }
        }
        return route;
    }

    // Exactly the rule's properties (none: no allocation). The spool's $.mid is not added here:
    // the device session writes it into the topic.
    route.properties.reserve(rule.properties.size());
    for (const PropertyTemplate& property : rule.properties) {
        std::string value;
        if (auto failure = render_uplink(*property.bound, route, impl, rule, value)) {
            return *failure;
        }
        route.properties.emplace_back(property.name, std::move(value));
    }
    for (MessageHook* hook : rule.hooks) {
        if (auto failure =
                hook->transform_uplink(route.device_id, route.payload, route.properties)) {
            return hook_rejection(*hook, *failure, rule);
        }
    }
    switch (rule.kind) {
        case UplinkKind::telemetry:
            // Names from the mapping file were checked at load time; a hook may add any.
            if (rule.hooks_add_properties) {
                if (auto failure = check_properties(route.properties, rule))
                    return *failure;
            }
            iothub::append_property_bag(route.property_bag, route.properties);
            break;
        case UplinkKind::reported: {
            // The one parse a reported patch gets on its way (after the plugins, which may
            // rewrite it): it is spooled and sent as text from here on.
            const auto top = top_level_json_type(route.payload);
            if (top != JsonTop::object) {
                return reject(RejectReason::payload_not_json_object,
                              top == JsonTop::invalid
                                  ? "reported properties payload is not valid JSON"
                                  : "reported properties payload must be a JSON object, not " +
                                        std::string(json_top_name(top)),
                              rule);
            }
            break;
        }
        case UplinkKind::method_reply:
            if (auto failure = fill_method_reply(route, rule))
                return *failure;
            break;
        default:
            break;
    }
    return route;
}

}  // namespace hubgate::mappings
