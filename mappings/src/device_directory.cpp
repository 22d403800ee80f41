#include "hubgate/mappings/device_directory.hpp"

#include <nlohmann/json.hpp>

namespace hubgate::mappings {

namespace {

constexpr std::string_view kFormatName = "hubgate-devices";
constexpr int kFormatVersion = 1;

}  // namespace

bool DeviceDirectory::remember(const UplinkRoute& route) {
    if (route.device_id.empty()) {
        return false;
    }
    // The hot path: a known device with unchanged captures costs a lookup and compares only.
    const auto found = devices_.find(route.device_id);
    if (found != devices_.end() && found->second.device_class == route.device_class &&
        found->second.captures.size() == route.captures.size()) {
        bool same = true;
        for (std::size_t i = 0; i < route.captures.size() && same; ++i) {
            same = found->second.captures[i].first == route.captures[i].name &&
                   found->second.captures[i].second == route.captures[i].value;
        }
        if (same) {
            return false;
        }
    }
    DeviceRecord record;
    record.device_class = std::string(route.device_class);
    for (const Capture& capture : route.captures) {
        record.captures.emplace_back(std::string(capture.name), capture.value);
    }
    return remember(route.device_id, std::move(record));
}

bool DeviceDirectory::remember(std::string device_id, DeviceRecord record) {
    const auto found = devices_.find(device_id);
    if (found != devices_.end()) {
        if (found->second == record) {
            return false;
        }
        found->second = std::move(record);
        return true;
    }
    devices_.emplace(std::move(device_id), std::move(record));
    return true;
}

const DeviceRecord* DeviceDirectory::find(std::string_view device_id) const {
    const auto found = devices_.find(device_id);
    return found == devices_.end() ? nullptr : &found->second;
}

bool DeviceDirectory::forget(std::string_view device_id) {
    const auto found = devices_.find(device_id);
    if (found == devices_.end()) {
        return false;
    }
    devices_.erase(found);
    return true;
}

std::string DeviceDirectory::serialize() const {
    nlohmann::ordered_json devices = nlohmann::ordered_json::object();
    for (const auto& [id, record] : devices_) {
        nlohmann::ordered_json captures = nlohmann::ordered_json::array();
        for (const auto& [name, value] : record.captures) {
            captures.push_back({name, value});
        }
        devices[id] = {{"class", record.device_class}, {"captures", std::move(captures)}};
    }
    const nlohmann::ordered_json document = {
        {"format", kFormatName}, {"version", kFormatVersion}, {"devices", std::move(devices)}};
    // Replace invalid UTF-8 rather than throw: captures are bytes from MQTT topics.
    return document.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::variant<DeviceDirectory, std::string> DeviceDirectory::deserialize(std::string_view text) {
    const nlohmann::json document = nlohmann::json::parse(text, nullptr, false);
    if (document.is_discarded()) {
        return std::string("device directory is not valid JSON");
    }
    if (!document.is_object() || document.value("format", "") != kFormatName) {
        return std::string("device directory: missing \"format\": \"hubgate-devices\"");
    }
    const auto version = document.find("version");
    if (version == document.end() || !version->is_number_integer() ||
        version->get<int>() != kFormatVersion) {
        return std::string("device directory: unsupported version (expected 1)");
    }
    const auto devices = document.find("devices");
    if (devices == document.end() || !devices->is_object()) {
        return std::string("device directory: \"devices\" must be an object");
    }
    DeviceDirectory directory;
    for (const auto& [id, entry] : devices->items()) {
        const std::string where = "device directory: device \"" + id + "\": ";
        if (!entry.is_object()) {
            return where + "entry must be an object";
        }
        const auto device_class = entry.find("class");
        const auto captures = entry.find("captures");
        if (device_class == entry.end() || !device_class->is_string()) {
            return where + "\"class\" must be a string";
        }
        if (captures == entry.end() || !captures->is_array()) {
            return where + "\"captures\" must be an array of [name, value] pairs";
        }
        DeviceRecord record;
        record.device_class = device_class->get<std::string>();
        for (const auto& pair : *captures) {
            if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string() ||
                !pair[1].is_string()) {
                return where + "\"captures\" must be an array of [name, value] pairs";
            }
            record.captures.emplace_back(pair[0].get<std::string>(), pair[1].get<std::string>());
        }
        directory.devices_.emplace(id, std::move(record));
    }
    return directory;
}

}  // namespace hubgate::mappings
