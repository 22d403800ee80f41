#include "downlink_loader.hpp"

#include <algorithm>
#include <chrono>

#include "hubgate/mappings/device_id.hpp"

namespace hubgate::mappings {

namespace {

constexpr std::chrono::milliseconds kDefaultMethodTimeout{30'000};

// Parses "250ms", "20s", "2m" or a bare number of seconds.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
    std::size_t digits = 0;
    std::int64_t value = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9' && digits < 9) {
        value = value * 10 + (text[digits] - '0');
        ++digits;
    }
    if (digits == 0)
        return std::nullopt;
    const std::string_view unit = text.substr(digits);
    if (unit == "ms")
        return std::chrono::milliseconds(value);
    if (unit == "s" || unit.empty())
        return std::chrono::seconds(value);
    if (unit == "m")
        return std::chrono::minutes(value);
    return std::nullopt;
}

}  // namespace

void DownlinkLoader::load_static(const toml::table& table, const std::string& path,
                                 std::uint32_t class_index, std::vector<std::string>& captures) {
    for (const auto& [key, node] : table) {
        const std::string id(key.str());
        const std::string device_path = child_path(path, id);
        if (auto problem = device_id_error(id)) {
            error(key.source(), device_path + ": " + *problem);
            continue;
        }
        const toml::table* values = node.as_table();
        if (!values) {
            error(node.source(), device_path + ": must be a table of capture = \"value\"");
            continue;
        }
        StaticDevice device;
        device.device_class = class_index;
        device.position = at(key.source());
        for (const auto& [name, value] : *values) {
            const auto* text = value.as_string();
            if (!text) {
                error(value.source(), child_path(device_path, name.str()) + ": must be a string");
                continue;
            }
            device.captures.emplace_back(std::string(name.str()), text->get());
            if (std::find(captures.begin(), captures.end(), name.str()) == captures.end()) {
                captures.emplace_back(name.str());
            }
        }
        const auto existing = impl_.static_devices.find(id);
        if (existing != impl_.static_devices.end()) {
            const SourcePosition& first = existing->second.position;
            error(key.source(), device_path + ": device " + in_quotes(id) +
                                    " is already in a static table at " + std::string(first.file) +
                                    ":" + std::to_string(first.line));
            continue;
        }
        impl_.static_devices.emplace(id, std::move(device));
    }
}

void DownlinkLoader::load_downlinks(const toml::table& table, const std::string& path,
                                    DeviceClass& target, const std::vector<std::string>& captures) {
    check_keys(table, {"c2d", "desired", "desired_patch", "method", "twin"}, path);
    for (const auto& [key, node] : table) {
        std::optional<DownlinkKind> kind = downlink_kind_from_string(key.str());
        if (!kind)
            continue;
        const std::string entry_path = child_path(path, key.str());
        const toml::table* spec = node.as_table();
        const toml::node* topic_node = &node;
        if (spec) {
            if (*kind == DownlinkKind::method) {
                check_keys(*spec, {"topic", "retain", "qos", "reply", "timeout"}, entry_path);
            } else if (*kind == DownlinkKind::desired) {
                check_keys(*spec, {"topic", "retain", "qos", "send"}, entry_path);
                if (!desired_kind(*spec, entry_path, *kind))
                    continue;
            } else {
                check_keys(*spec, {"topic", "retain", "qos"}, entry_path);
            }
            topic_node = spec->get("topic");
            if (!topic_node) {
                error(node.source(), entry_path + ": missing key \"topic\"");
                continue;
            }
        }
        const auto* topic_text = topic_node->as_string();
        if (!topic_text) {
            error(topic_node->source(), entry_path + ": the topic must be a string template");
            continue;
        }
        std::optional<TextTemplate> topic =
            compile_template(*topic_node, topic_text->get(), entry_path);
        if (!topic)
            continue;
        std::vector<std::string> known = captures;
        known.push_back("device_id");
        switch (*kind) {
            case DownlinkKind::c2d:
                known.push_back("properties");
                break;
            case DownlinkKind::desired:
            case DownlinkKind::desired_patch:
                known.push_back("version");
                break;
            case DownlinkKind::method:
                known.push_back("method");
                known.push_back("rid");
                break;
            case DownlinkKind::twin_answer:
                known.push_back("status");
                known.push_back("rid");
                break;
        }
        if (!check_names(*topic, known, *topic_node, entry_path))
            continue;
        DownlinkTemplate downlink{
            std::move(*topic), false, 1,
            *kind == DownlinkKind::method ? kDefaultMethodTimeout : std::chrono::milliseconds(0),
            at(topic_node->source())};
        if (spec && !load_downlink_options(*spec, entry_path, downlink))
            continue;
        auto& slot = target.downlinks[static_cast<std::size_t>(*kind)];
        if (slot) {
            // Only patches can land here twice: desired (send = "patch") and desired_patch.
            error(topic_node->source(),
                  entry_path + ": desired patches already go to the topic at line " +
                      std::to_string(slot->position.line) +
                      " (desired with send = \"patch\"); use send = \"state\" there, or drop "
                      "one of them");
            continue;
        }
        slot = std::move(downlink);
    }
}

bool DownlinkLoader::desired_kind(const toml::table& spec, const std::string& path,
                                  DownlinkKind& kind) {
    const toml::node* send = spec.get("send");
    if (!send)
        return true;  // "state", the default
    const auto* text = send->as_string();
    if (text && text->get() == "state")
        return true;
    if (text && text->get() == "patch") {
        kind = DownlinkKind::desired_patch;
        return true;
    }
    error(send->source(), child_path(path, "send") + ": must be \"state\" or \"patch\"");
    return false;
}

bool DownlinkLoader::load_downlink_options(const toml::table& spec, const std::string& path,
                                           DownlinkTemplate& downlink) {
    bool ok = true;
    if (const toml::node* retain = spec.get("retain")) {
        if (const auto* flag = retain->as_boolean()) {
            downlink.retain = flag->get();
        } else {
            error(retain->source(), child_path(path, "retain") + ": must be true or false");
            ok = false;
        }
    }
    if (const toml::node* qos = spec.get("qos")) {
        const auto* number = qos->as_integer();
        if (!number || number->get() < 0 || number->get() > 2) {
            error(qos->source(), child_path(path, "qos") + ": must be 0, 1 or 2");
            ok = false;
        } else {
            downlink.qos = static_cast<int>(number->get());
        }
    }
    if (const toml::node* timeout = spec.get("timeout")) {
        const auto* text = timeout->as_string();
        const auto parsed = text ? parse_duration(text->get()) : std::nullopt;
        if (!parsed || parsed->count() <= 0) {
            error(timeout->source(),
                  child_path(path, "timeout") + ": must be a duration like \"20s\" or \"500ms\"");
            ok = false;
        } else {
            downlink.reply_timeout = *parsed;
        }
    }
    return ok;
}

}  // namespace hubgate::mappings
