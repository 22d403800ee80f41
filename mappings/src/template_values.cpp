#include "template_values.hpp"

#include "compiled_rules.hpp"

#include <cstdio>
#include <ctime>

namespace hubgate::mappings {

std::string format_creation_time(std::chrono::system_clock::time_point time) {
    const auto since_epoch = time.time_since_epoch();
    const auto seconds = std::chrono::floor<std::chrono::seconds>(since_epoch);
    const auto millis =
        std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch - seconds).count();
    const std::time_t whole = static_cast<std::time_t>(seconds.count());
    std::tm utc{};
    gmtime_r(&whole, &utc);
    char text[96];
    std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                  utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                  static_cast<int>(millis));
    return text;
}

BoundTemplate bind_template(TextTemplate text, const TopicPattern& pattern) {
    BoundTemplate bound{std::move(text), {}};
    const std::vector<std::string> captures = pattern.capture_names();
    for (const std::string& name : bound.text.variables()) {
        std::int16_t slot = BoundTemplate::kUnknown;
        if (name == "device_id") {
            slot = BoundTemplate::kDeviceId;
        } else if (name == "now") {
            slot = BoundTemplate::kNow;
        } else {
            for (std::size_t i = 0; i < captures.size(); ++i) {
                if (captures[i] == name)
                    slot = static_cast<std::int16_t>(i);
            }
        }
        bound.slots.push_back(slot);
    }
    return bound;
}

std::optional<std::string> local_topic_error(std::string_view topic) {
    if (topic.empty())
        return std::string("the local topic is empty");
    if (topic.front() == '$')
        return std::string("the local topic starts with '$' (a broker system topic)");
    for (char c : topic) {
        if (c == '+' || c == '#') {
            return std::string("the local topic \"") + std::string(topic) +
                   "\" contains the MQTT wildcard '" + c + "'";
        }
        if (c == '\0')
            return std::string("the local topic contains a NUL byte");
    }
    if (topic.size() > 65535)
        return std::string("the local topic is longer than 65535 bytes");
    return std::nullopt;
}

}  // namespace hubgate::mappings
