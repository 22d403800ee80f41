#pragma once
// Remembers, per device id, the device class and the topic captures it was seen with, so that
// downlinks can be rendered for it (also after a restart: the daemon persists serialize()).

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "hubgate/mappings/route.hpp"

namespace hubgate::mappings {

// What is remembered for one device.
struct DeviceRecord {
    std::string device_class;
    std::vector<std::pair<std::string, std::string>> captures;  // name → value
    friend bool operator==(const DeviceRecord&, const DeviceRecord&) = default;
};

// In-memory device id → DeviceRecord table. Not thread-safe: the caller serialises access.
class DeviceDirectory {
  public:
    // Stores the route's device (the latest captures win). Returns true when the directory
    // changed, i.e. when it is worth persisting. Routes without a device id are ignored.
    bool remember(const UplinkRoute& route);
    bool remember(std::string device_id, DeviceRecord record);

    const DeviceRecord* find(std::string_view device_id) const;
    bool forget(std::string_view device_id);
    std::size_t size() const { return devices_.size(); }

    // A JSON document: {"format":"hubgate-devices","version":1,"devices":{id:{class,captures}}}.
    std::string serialize() const;
    // The directory, or an error message for a malformed document (never throws).
    static std::variant<DeviceDirectory, std::string> deserialize(std::string_view text);

  private:
    std::map<std::string, DeviceRecord, std::less<>> devices_;
};

}  // namespace hubgate::mappings
