#pragma once
// The compiled form of the mapping files (MappingSet::Impl), shared by the loader, the uplink
// router and the downlink renderer. Built once by the loader, read-only afterwards: string_views
// handed out in routes point into it.

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "hubgate/mappings/mapping_set.hpp"
#include "hubgate/mappings/message_hook.hpp"
#include "hubgate/mappings/route.hpp"
#include "hubgate/mappings/text_template.hpp"
#include "hubgate/mappings/topic_pattern.hpp"
#include "topic_trie.hpp"

namespace hubgate::mappings {

// A template of an uplink rule with its names resolved at load time: each variable is a
// capture position of the rule's pattern or a built-in value. Routing then compares no names.
struct BoundTemplate {
    static constexpr std::int16_t kDeviceId = -1;
    static constexpr std::int16_t kNow = -2;
    static constexpr std::int16_t kUnknown = -3;  // only after a load error
    TextTemplate text;
    std::vector<std::int16_t> slots;  // per TextTemplate::variables() entry
};

// Resolves the names of `text` against the captures of `pattern` and the built-ins.
BoundTemplate bind_template(TextTemplate text, const TopicPattern& pattern);

// A property of telemetry whose value is a template.
struct PropertyTemplate {
    std::string name;
    TextTemplate value;
    std::optional<BoundTemplate> bound;  // set once the rule's pattern is final
};

// One `"pattern" = { send = ... }` entry (or a method `reply` pattern).
struct UplinkRule {
    TopicPattern pattern;
    UplinkKind kind = UplinkKind::ignore;
    std::uint32_t device_class = 0;
    std::optional<TextTemplate> own_id;        // the rule's own `id` (loading only)
    std::optional<BoundTemplate> id;           // own_id, else the class's id; bound to this rule
    std::vector<PropertyTemplate> properties;  // telemetry
    std::vector<MessageHook*> hooks;           // class plugins, then rule plugins
    std::string method;                        // method_reply: literal method when no {method}
    int status = 200;                          // method_reply: status when no {status}
    std::optional<TextTemplate> reply;         // twin_get: local topic of the answer
    std::optional<BoundTemplate> bound_reply;
    std::size_t capture_count = 0;
    std::int16_t rid_capture = -1;  // capture positions with a meaning, or -1
    std::int16_t method_capture = -1;
    std::int16_t status_capture = -1;
    bool hooks_add_properties = false;  // properties must then be re-checked per message
    SourcePosition position;
};

// A downlink template of a device class.
struct DownlinkTemplate {
    TextTemplate topic;
    bool retain = false;
    int qos = 1;
    std::chrono::milliseconds reply_timeout{0};
    SourcePosition position;
};

// One `[[devices]]` table.
struct DeviceClass {
    std::string name;
    std::optional<TextTemplate> id;
    std::vector<MessageHook*> hooks;
    std::array<std::optional<DownlinkTemplate>, kDownlinkKindCount> downlinks;  // by DownlinkKind
    SourcePosition position;
};

// A device of a static device table.
struct StaticDevice {
    std::uint32_t device_class = 0;
    std::vector<std::pair<std::string, std::string>> captures;
    SourcePosition position;
};

struct MappingSet::Impl {
    std::deque<std::string> file_names;  // SourcePosition::file points here (deque: stable)
    std::deque<DeviceClass> classes;
    std::deque<UplinkRule> rules;  // in load order: the index is the tie-breaker
    std::map<std::string, StaticDevice, std::less<>> static_devices;
    std::unordered_map<std::string_view, std::uint32_t> class_by_name;
    TopicTrie trie;
    std::function<std::chrono::system_clock::time_point()> clock;
};

}  // namespace hubgate::mappings
