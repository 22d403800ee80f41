// Setters called by plugins from inside a hook. Each validates its arguments, copies the data,
// and turns any failure (including std::bad_alloc) into a return code: nothing may unwind into
// the plugin's C frames.
#include "hook_events.hpp"

#include <algorithm>
#include <exception>

namespace hubgate::plugins::detail {
namespace {

hubgate_str view(std::string_view text) {
    return {text.data(), text.size()};
}

// Runs `assign` and maps failures to ABI return codes, remembering the first failure's reason.
template <typename Assign>
int guarded(std::optional<std::string>& setter_error, const char* setter, const char* data,
            size_t size, Assign&& assign) noexcept {
    if (data == nullptr && size != 0) {
        if (!setter_error) {
            setter_error = std::string(setter) + ": NULL data with a non-zero size";
        }
        return HUBGATE_PLUGIN_INVALID;
    }
    try {
        assign();
        return HUBGATE_PLUGIN_OK;
    } catch (const std::exception& e) {
        try {
            if (!setter_error) {
                setter_error = std::string(setter) + ": " + e.what();
            }
        } catch (...) {  // out of memory for the message itself: the code still reports it
        }
        return HUBGATE_PLUGIN_INVALID;
    }
}

int set_device_id(hubgate_device_id_event* event, const char* data, size_t size) {
    if (event == nullptr) {
        return HUBGATE_PLUGIN_INVALID;
    }
    auto& call = *static_cast<DeviceIdCall*>(event->host);
    return guarded(call.setter_error, "set_device_id", data, size,
                   [&] { call.new_device_id.emplace(data, size); });
}

int set_uplink_payload(hubgate_uplink_event* event, const char* data, size_t size) {
    if (event == nullptr) {
        return HUBGATE_PLUGIN_INVALID;
    }
    auto& call = *static_cast<UplinkCall*>(event->host);
    return guarded(call.setter_error, "set_payload", data, size,
                   [&] { call.new_payload.emplace(data, size); });
}

mappings::Properties& changed_properties(UplinkCall& call) {
    if (!call.new_properties) {
        call.new_properties = call.original;
    }
    return *call.new_properties;
}

int set_property(hubgate_uplink_event* event, const char* name, size_t name_size, const char* value,
                 size_t value_size) {
    if (event == nullptr) {
        return HUBGATE_PLUGIN_INVALID;
    }
    auto& call = *static_cast<UplinkCall*>(event->host);
    if (name == nullptr || name_size == 0) {
        return guarded(call.setter_error, "set_property", nullptr, 1, [] {});
    }
    return guarded(call.setter_error, "set_property", value, value_size, [&] {
        auto& properties = changed_properties(call);
        const std::string_view key(name, name_size);
        auto found = std::find_if(properties.begin(), properties.end(),
                                  [&](const auto& p) { return p.first == key; });
        if (found != properties.end()) {
            found->second.assign(value, value_size);
        } else {
            properties.emplace_back(std::string(key), std::string(value, value_size));
        }
    });
}

int remove_property(hubgate_uplink_event* event, const char* name, size_t name_size) {
    if (event == nullptr) {
        return HUBGATE_PLUGIN_INVALID;
    }
    auto& call = *static_cast<UplinkCall*>(event->host);
    return guarded(call.setter_error, "remove_property", name, name_size, [&] {
        auto& properties = changed_properties(call);
        const std::string_view key(name, name_size);
        std::erase_if(properties, [&](const auto& p) { return p.first == key; });
    });
}

int set_downlink_payload(hubgate_downlink_event* event, const char* data, size_t size) {
    if (event == nullptr) {
        return HUBGATE_PLUGIN_INVALID;
    }
    auto& call = *static_cast<DownlinkCall*>(event->host);
    return guarded(call.setter_error, "set_payload", data, size,
                   [&] { call.new_payload.emplace(data, size); });
}

}  // namespace

DeviceIdCall::DeviceIdCall(std::string_view local_topic, std::string_view payload) {
    event.struct_size = sizeof event;
    event.local_topic = view(local_topic);
    event.payload = view(payload);
    event.set_device_id = &set_device_id;
    event.host = this;
}

UplinkCall::UplinkCall(std::string_view device_id, std::string_view payload,
                       const mappings::Properties& properties)
    : original(properties) {
    views.reserve(properties.size());
    for (const auto& [name, value] : properties) {
        views.push_back({view(name), view(value)});
    }
    event.struct_size = sizeof event;
    event.device_id = view(device_id);
    event.payload = view(payload);
    event.properties = views.data();
    event.property_count = views.size();
    event.set_payload = &set_uplink_payload;
    event.set_property = &set_property;
    event.remove_property = &remove_property;
    event.host = this;
}

DownlinkCall::DownlinkCall(std::string_view device_id, std::string_view kind,
                           std::string_view payload) {
    event.struct_size = sizeof event;
    event.device_id = view(device_id);
    event.kind = view(kind);
    event.payload = view(payload);
    event.set_payload = &set_downlink_payload;
    event.host = this;
}

}  // namespace hubgate::plugins::detail
