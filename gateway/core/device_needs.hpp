#pragma once
// What a device's session must subscribe to, worked out from its mapping: a device whose class
// has a C2D, desired or method template needs that subscription; a device that sends reported
// patches or twin requests needs twin round trips.

#include <map>
#include <mutex>
#include <string>

#include "gateway/core/active_mappings.hpp"
#include "gateway/core/device_registry.hpp"
#include "gateway/session/session_options.hpp"

namespace hubgate::core {

// Per device class, what its downlink templates need (computed once per class, and again after
// a reload replaced the rules).
class DeviceNeedsCache {
  public:
    DeviceNeedsCache(const ActiveMappings& mappings, const DeviceRegistry& devices)
        : mappings_(mappings), devices_(devices) {}

    // The needs of a device already in the registry (or in a static device table).
    session::DeviceNeeds needs_of(const std::string& device_id, std::string_view device_class);

    // The needs of one device, not cached (a device of a static table, never seen).
    session::DeviceNeeds probe_device(const std::string& device_id) { return probe(device_id); }

  private:
    session::DeviceNeeds probe(const std::string& device_id);

    const ActiveMappings& mappings_;
    const DeviceRegistry& devices_;
    std::mutex mutex_;
    std::uint64_t generation_ = 0;  // of the rules by_class_ was computed from
    std::map<std::string, session::DeviceNeeds, std::less<>> by_class_;
};

}  // namespace hubgate::core
