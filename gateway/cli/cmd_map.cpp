// `hubgate map`: dry-runs one message through the configured mapping rules and plugins, loaded
// exactly as the daemon loads them, and prints the result as one JSON object on stdout. Nothing
// is sent anywhere: the tool for mapping and plugin authors (see PLUGINS.md).
#include <cstdio>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "gateway/cli/args.hpp"
#include "gateway/cli/command.hpp"
#include "gateway/config/config.hpp"
#include "gateway/core/mapping_loading.hpp"
#include "gateway/log/log.hpp"
#include "hubgate/mappings/device_directory.hpp"
#include "hubgate/mappings/upstream_topic.hpp"

namespace hubgate::cli {
namespace {

constexpr int kExitNoMatch = 3;  // DESIGN.md: "no rule matched" exits 3

constexpr const char* kMapUsage =
    "usage: hubgate map -c FILE --topic TOPIC [--payload TEXT | --payload-file F]\n"
    "       hubgate map -c FILE --direction down --device ID\n"
    "                   --kind c2d|desired|desired_patch|method|twin\n"
    "                   [--payload TEXT | --payload-file F] [--seen-on TOPIC] [--method NAME]\n"
    "                   [--rid RID] [--status N] [--version N]\n"
    "Dry-runs one message through the mapping rules and plugins of FILE and prints the result\n"
    "as one JSON object. up (default): the route of a message a local device publishes on TOPIC.\n"
    "down: the local message a cloud-side event for device ID becomes; the device's captures come\n"
    "from a static device table or, with --seen-on, from routing TOPIC as if it had published\n"
    "an empty message there.\n"
    "A request id the session would choose is shown as {rid}.\n"
    "Exit 0 routed (or ignored on purpose), 1 rejected, 2 usage or unusable config, 3 no rule\n"
    "matched.\n";

using nlohmann::ordered_json;

std::string read_payload(const Args& args) {
    const auto text = args.get("payload");
    const auto file = args.get("payload-file");
    if (text && file) {
        throw UsageError("give at most one of --payload and --payload-file");
    }
    if (!file) {
        return text.value_or("");
    }
    std::ifstream in(*file, std::ios::binary);
    if (!in) {
        throw UsageError("cannot read payload file " + *file);
    }
    return {std::istreambuf_iterator<char>(in), {}};
}

std::optional<int64_t> integer_option(const Args& args, const std::string& name) {
    const auto text = args.get(name);
    if (!text) {
        return std::nullopt;
    }
    try {
        size_t used = 0;
        const auto value = std::stoll(*text, &used);
        if (used == text->size()) {
            return value;
        }
    } catch (const std::exception&) {
    }
    throw UsageError("--" + name + " must be an integer");
}

std::string position(const mappings::SourcePosition& rule) {
    return std::string(rule.file) + ":" + std::to_string(rule.line) + ":" +
           std::to_string(rule.column);
}

void print(const ordered_json& result) {
    std::puts(result.dump(2, ' ', false, ordered_json::error_handler_t::replace).c_str());
}

int print_rejection(const mappings::Rejection& rejection) {
    ordered_json result;
    result["rejected"] = std::string(mappings::to_string(rejection.reason));
    result["reason"] = rejection.text;
    if (!rejection.rule.file.empty()) {
        result["rule"] = position(rejection.rule);
    }
    print(result);
    return kExitFailure;
}

int print_uplink(const mappings::UplinkRoute& route) {
    ordered_json result;
    result["direction"] = "up";
    result["kind"] = std::string(mappings::to_string(route.kind));
    result["rule"] = position(route.rule);
    if (route.kind == mappings::UplinkKind::ignore) {
        print(result);
        return kExitOk;
    }
    result["device_id"] = route.device_id;
    result["device_class"] = std::string(route.device_class);
    result["upstream_topic"] = mappings::upstream_topic(route, "{rid}");
    auto& properties = result["properties"] = ordered_json::object();
    for (const auto& [name, value] : route.properties) {
        properties[name] = value;
    }
    if (route.kind == mappings::UplinkKind::method_reply) {
        result["method"] = route.method;
        result["request_id"] = route.request_id;
        result["reply_to_oldest_pending"] = route.reply_to_oldest_pending;
        result["status"] = route.status;
    }
    if (route.kind == mappings::UplinkKind::twin_get) {
        result["request_id"] = route.request_id;
        result["reply_topic"] = route.reply_topic;
    }
    result["payload"] = route.payload;
    print(result);
    return kExitOk;
}

int map_uplink(const mappings::MappingSet& set, const std::string& topic,
               const std::string& payload) {
    const auto result = set.route_uplink(topic, payload);
    if (std::holds_alternative<mappings::NoMatch>(result)) {
        std::fprintf(stderr, "hubgate map: no rule matched topic '%s'\n", topic.c_str());
        return kExitNoMatch;
    }
    if (const auto* rejection = std::get_if<mappings::Rejection>(&result)) {
        return print_rejection(*rejection);
    }
    return print_uplink(std::get<mappings::UplinkRoute>(result));
}

int map_downlink(const mappings::MappingSet& set, const Args& args, std::string payload) {
    const auto device_id = args.require("device");
    const auto kind_name = args.require("kind");
    auto kind = mappings::downlink_kind_from_string(kind_name);
    if (!kind) {
        throw UsageError("--kind must be c2d, desired, desired_patch, method or twin");
    }
    mappings::DeviceDirectory directory;
    if (const auto seen_on = args.get("seen-on")) {
        // As if the device had published an empty message there (plugins run on it too).
        const auto seen = set.route_uplink(*seen_on, "");
        std::string why;
        if (std::holds_alternative<mappings::NoMatch>(seen)) {
            why = "no rule matched it";
        } else if (const auto* rejection = std::get_if<mappings::Rejection>(&seen)) {
            why = rejection->text;
        } else if (const auto& route = std::get<mappings::UplinkRoute>(seen);
                   route.device_id != device_id) {
            why = "it routes to device '" + route.device_id + "'";
        } else {
            directory.remember(route);
        }
        if (!why.empty()) {
            std::fprintf(stderr, "hubgate map: --seen-on '%s' does not route to device '%s': %s\n",
                         seen_on->c_str(), device_id.c_str(), why.c_str());
            return kExitUsage;
        }
    }
    const auto method = args.get("method").value_or("");
    const auto rid = args.get("rid").value_or("");
    mappings::DownlinkVars vars;
    vars.method = method;
    vars.rid = rid;
    if (const auto status = integer_option(args, "status")) {
        vars.status = static_cast<int>(*status);
    }
    vars.version = integer_option(args, "version");

    auto result = set.render_downlink(device_id, *kind, vars, payload, directory);
    if (const auto* rejection = std::get_if<mappings::Rejection>(&result);
        rejection != nullptr && *kind == mappings::DownlinkKind::desired &&
        rejection->reason == mappings::RejectReason::no_downlink_template) {
        // `desired` with send = "patch" is the class's patch topic.
        kind = mappings::DownlinkKind::desired_patch;
        result = set.render_downlink(device_id, *kind, vars, std::move(payload), directory);
    }
    if (const auto* rejection = std::get_if<mappings::Rejection>(&result)) {
        return print_rejection(*rejection);
    }
    const auto& route = std::get<mappings::DownlinkRoute>(result);
    ordered_json out;
    out["direction"] = "down";
    out["kind"] = std::string(mappings::to_string(*kind));
    out["rule"] = position(route.rule);
    out["device_id"] = device_id;
    out["device_class"] = std::string(route.device_class);
    out["local_topic"] = route.topic;
    out["qos"] = route.qos;
    out["retain"] = route.retain;
    if (*kind == mappings::DownlinkKind::method) {
        out["reply_timeout_ms"] = route.reply_timeout.count();
    }
    if (*kind == mappings::DownlinkKind::desired ||
        *kind == mappings::DownlinkKind::desired_patch) {
        // What the daemon publishes there: the whole desired document, or each patch.
        out["send"] = *kind == mappings::DownlinkKind::desired ? "state" : "patch";
    }
    out["payload"] = route.payload;
    print(out);
    return kExitOk;
}

int run_map(std::span<const std::string> argv) {
    try {
        Args args(argv,
                  {"config", "topic", "payload", "payload-file", "direction", "device", "kind",
                   "seen-on", "method", "rid", "status", "version"},
                  {"help"}, {{"c", "config"}, {"h", "help"}});
        if (args.flag("help")) {
            std::fputs(kMapUsage, stdout);
            return kExitOk;
        }
        if (!args.positional().empty()) {
            throw UsageError("unexpected argument " + args.positional()[0]);
        }
        const auto direction = args.get("direction").value_or("up");
        if (direction != "up" && direction != "down") {
            throw UsageError("--direction must be up or down");
        }
        const auto file = args.require("config");
        const auto topic = direction == "up" ? args.require("topic") : std::string();
        auto payload = read_payload(args);
        log::init("warn");  // loading problems and rule overlaps go to stderr; the result to stdout

        const auto loaded_config = config::load_config(file);
        if (!loaded_config.ok()) {
            for (const auto& d : loaded_config.diagnostics) {
                std::fprintf(stderr, "%s\n", config::format_diagnostic(d).c_str());
            }
            return kExitUsage;
        }
        core::LoadedMappings loaded;
        std::vector<std::string> errors;
        if (!core::load_mappings(loaded_config.config, loaded, errors)) {
            for (const auto& error : errors) {
                std::fprintf(stderr, "%s\n", error.c_str());
            }
            return kExitUsage;
        }
        return direction == "up" ? map_uplink(*loaded.set, topic, payload)
                                 : map_downlink(*loaded.set, args, std::move(payload));
    } catch (const UsageError& e) {
        std::fprintf(stderr, "hubgate map: %s\n%s", e.what(), kMapUsage);
        return kExitUsage;
    }
}

const CommandRegistrar kRegistrar({"map",
                                   "dry-run one message through the mapping rules and plugins",
                                   &run_map});

}  // namespace
}  // namespace hubgate::cli
